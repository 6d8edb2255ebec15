-- ModelVersion: an immutable record; status.phase Retired only adds a word to Healthy.
if is_true("Stalled") then
  hs.status, hs.message = "Degraded", say("Stalled")
elseif is_true("Reconciling") then
  hs.status, hs.message = "Progressing", say("Reconciling")
elseif is_true("Ready") then
  hs.status, hs.message = "Healthy", say("Ready")
  if obj.status.phase == "Retired" then hs.message = "Retired: " .. hs.message end
else
  hs.status, hs.message = "Progressing", say("Ready")
end
return hs
