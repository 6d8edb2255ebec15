-- TrainingJob: bounded work. Succeeded/Failed are final; spec.suspend holds it.
if is_true("Stalled") then
  hs.status, hs.message = "Degraded", say("Stalled")
elseif is_true("Failed") then
  hs.status, hs.message = "Degraded", say("Failed")
elseif is_true("Succeeded") then
  hs.status, hs.message = "Healthy", say("Succeeded")
elseif (obj.spec ~= nil and obj.spec.suspend == true) or obj.status.phase == "Suspended" then
  hs.status, hs.message = "Suspended", "Suspended: spec.suspend is true"
elseif is_true("Reconciling") then
  hs.status, hs.message = "Progressing", say("Reconciling")
elseif is_true("Ready") then
  hs.status, hs.message = "Healthy", say("Ready")
else
  hs.status, hs.message = "Progressing", say("Ready")
end
return hs
