"""Traffic routers: move the weights between stable and canary."""
