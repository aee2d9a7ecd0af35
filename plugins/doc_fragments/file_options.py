# -*- coding: utf-8 -*-
# Copyright: rtvs.remote contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
from __future__ import absolute_import, division, print_function

__metaclass__ = type


class ModuleDocFragment(object):
    """Owner, group, mode and backup options shared by the modules that write files."""

    DOCUMENTATION = r"""
options:
  owner:
    description:
      - User that owns the written file. Unset keeps the existing owner (new files are owned by the connecting user).
    type: str
  group:
    description:
      - Group of the written file. Unset keeps the existing group.
    type: str
  mode:
    description:
      - Permissions of the written file as an octal string, for example C('0640').
      - Each module has a secure default; see its own option description.
    type: raw
  backup:
    description:
      - Keep a copy of the file being replaced next to it, named C(<path>.<timestamp>.bak),
        with the original's owner, group and mode (never wider).
    type: bool
    default: false
  backup_keep:
    description:
      - With O(backup), how many backups of this file to keep; after a new backup the oldest beyond this count are
        deleted (they may hold old passwords or keys). V(0) keeps all.
    type: int
    default: 0
notes:
  - Files are replaced atomically (temporary file in the same directory, fsync, rename), so a reader
    such as the broker never sees a half-written file, even when the run is interrupted.
"""
