"""The sandbox cluster: an in-process Kubernetes API emulator, simulated controllers, local pods."""
