# Placeholder until the sandbox branch brings the kube tools installer.
.PHONY: tools
tools:
	@true
