# -*- coding: utf-8 -*-
# Copyright: rtvs.remote contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""controller_dir_exposure: why a controller folder for private keys is at risk of being committed, or ''."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os
import subprocess

from ansible.errors import AnsibleFilterError

from ansible_collections.rtvs.remote.plugins.module_utils.host import fileio


def controller_dir_exposure(path, git="git"):
    """'' when path is outside any git work tree or git ignores it; otherwise a warning that names the fix."""
    if not isinstance(path, str) or not path:
        raise AnsibleFilterError("controller_dir_exposure: the folder must be a non-empty path, got %r" % (path,))
    folder = os.path.abspath(os.path.expanduser(path))
    tree = fileio.git_work_tree(folder)
    if tree is None:
        return ""
    relative = os.path.relpath(folder, tree)
    if relative == ".":
        return ("the controller folder %s (private keys, PFX files) is the root of the git work tree %s; "
                "move it outside any repository (e.g. ~/.local/share/rtvs-remote/pki)." % (folder, tree))
    try:
        proc = subprocess.run([git, "-C", tree, "check-ignore", "-q", "--", relative + "/"],
                              stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, check=False)
    except OSError as exc:
        return ("the controller folder %s (private keys, PFX files) is inside the git work tree %s and git could not "
                "be run to check an ignore rule (%s); move the folder outside the repository or make sure .gitignore "
                "covers %s/." % (folder, tree, exc, relative))
    if proc.returncode == 0:
        return ""
    if proc.returncode == 1:
        return ("the controller folder %s (private keys, PFX files) is inside the git work tree %s and no ignore rule "
                "covers it: a 'git add' would commit the keys. Add '%s/' to %s/.gitignore, or move the folder outside "
                "the repository (the default is ~/.local/share/rtvs-remote/pki)." % (folder, tree, relative, tree))
    return ("the controller folder %s (private keys, PFX files) is inside the git work tree %s and git could not tell "
            "whether it is ignored (%s); make sure .gitignore covers %s/ or move the folder."
            % (folder, tree, proc.stderr.decode("utf-8", "replace").strip(), relative))


class FilterModule(object):
    def filters(self):
        return {"controller_dir_exposure": controller_dir_exposure}
