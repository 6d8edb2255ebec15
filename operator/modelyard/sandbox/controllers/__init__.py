"""Simulated Kubernetes controllers for the sandbox: API clients over HTTP, like the real ones."""

from modelyard.sandbox.controllers.behaviour import Outcome, PodBehaviours, Rule, Timing
from modelyard.sandbox.controllers.manager import SimulatedControllers

__all__ = ["Outcome", "PodBehaviours", "Rule", "SimulatedControllers", "Timing"]
