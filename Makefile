# The two entry points (both do all set-up on a fresh machine, as root):
#   make site   run playbooks/site.yml (INVENTORY=path for a real fleet; else a local test host)
#   make test   run the whole test suite
# A fleet run sets up only the controller (venv, collections); podman and the test-host tools are
# installed only for the local test host and the tests (scripts/bootstrap.sh says what and why).
.PHONY: setup site test

setup:
	bash scripts/bootstrap.sh controller

site:
	bash scripts/bootstrap.sh $(if $(INVENTORY),controller,testhost)
	bash scripts/site.sh

test:
	bash scripts/bootstrap.sh test
	bash scripts/test.sh
