"""Edit the broker config in place for a test breakage: `python3 -c "$(cat config_edit.py)" FILE set|delete SECTION KEY [VALUE]`.

Keys are matched case-insensitively, as the broker reads them. The file's owner and mode are kept.
"""
import json
import os
import sys

path, action, section, key = sys.argv[1:5]
with open(path) as handle:
    config = json.load(handle)
sec_name = next((k for k in config if k.lower() == section.lower()), section)
sec = config.setdefault(sec_name, {})
key_name = next((k for k in sec if k.lower() == key.lower()), key)
if action == "set":
    sec[key_name] = sys.argv[5]
elif action == "delete":
    sec.pop(key_name, None)
else:
    raise SystemExit("unknown action %s" % action)
st = os.stat(path)
with open(path, "w") as handle:
    json.dump(config, handle, indent=2)
os.chown(path, st.st_uid, st.st_gid)
os.chmod(path, st.st_mode & 0o7777)
