# The two entry points (both do all set-up on a fresh machine, as root):
#   make site   run playbooks/site.yml (INVENTORY=path for a real fleet; else a local test host)
#   make test   run the whole test suite
.PHONY: setup site test unit integration lint molecule

setup:
	bash scripts/bootstrap.sh

site: setup
	bash scripts/site.sh

test: setup
	bash scripts/test.sh
