-- InferenceService: a rolled-back canary is Stalled (reason RolledBack): Degraded until the spec names a
-- new version. A paused rollout is Suspended.
local function paused()
  local spec = obj.spec
  if spec ~= nil and spec.rollout ~= nil and spec.rollout.paused == true then return true end
  return obj.status.phase == "Paused"
end

if is_true("Stalled") then
  hs.status, hs.message = "Degraded", say("Stalled")
elseif paused() then
  hs.status = "Suspended"
  hs.message = "Rollout paused at " .. tostring(obj.status.canaryWeight or 0) .. "% canary traffic"
elseif is_true("Reconciling") then
  hs.status, hs.message = "Progressing", say("Reconciling")
elseif is_true("Ready") then
  hs.status, hs.message = "Healthy", say("Ready")
elseif obj.status.phase == "Degraded" then
  hs.status, hs.message = "Degraded", say("Ready")
else
  hs.status, hs.message = "Progressing", say("Ready")
end
return hs
