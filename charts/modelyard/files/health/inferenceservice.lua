-- Argo CD health of a modelyard.io/v1alpha1 InferenceService (Lua 5.1, as Argo CD's gopher-lua).
-- Reads the conditions (the contract: docs/gitops.md); status fields only add words.
-- A rolled-back canary is Stalled (reason RolledBack): Degraded until the spec names a new version.
local hs = { status = "Progressing", message = "Waiting for the operator to observe this InferenceService" }

local function condition(name)
  if obj.status == nil or obj.status.conditions == nil then return nil end
  for _, c in ipairs(obj.status.conditions) do
    if c.type == name then return c end
  end
  return nil
end

local function is_true(name)
  local c = condition(name)
  return c ~= nil and c.status == "True"
end

local function say(name)
  local c = condition(name)
  if c == nil then return obj.status.message or "" end
  local text = c.message
  if text == nil or text == "" then text = obj.status.message or "" end
  if c.reason ~= nil and c.reason ~= "" then return c.reason .. ": " .. text end
  return text
end

local function paused()
  local spec = obj.spec
  if spec ~= nil and spec.rollout ~= nil and spec.rollout.paused == true then return true end
  return obj.status.phase == "Paused"
end

if obj.status == nil or obj.status.observedGeneration == nil then return hs end
if obj.metadata.generation ~= nil and obj.status.observedGeneration ~= obj.metadata.generation then
  hs.message = "Waiting for the operator to observe generation " .. tostring(obj.metadata.generation)
  return hs
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
