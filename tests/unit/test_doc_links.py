"""Links in README.md and the docs work where people read them.

- README.md is what Galaxy (and Automation Hub) shows as the collection's page, served from another address, where
  a relative link (``docs/winrm.md``) or a heading anchor breaks. So README.md links only to absolute http(s)
  addresses - into the ``repository`` galaxy.yml names, when it names one - and names files as code spans
  (``docs/winrm.md``), which must exist in the collection.
- docs/*.md and the other README files are read in a checkout or an installed collection: every relative link must
  reach an existing file, and an anchor (``file.md#heading``) an existing heading of that file.
"""
import glob
import os
import re

import pytest
import yaml

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
LINK = re.compile(r"(?<!!)\[(?P<text>[^\]]*)\]\((?P<target>[^)\s]+)(?:\s+\"[^\"]*\")?\)")
IMAGE = re.compile(r"!\[(?P<text>[^\]]*)\]\((?P<target>[^)\s]+)\)")
CODE_FENCE = re.compile(r"^(```|~~~).*?^\1", re.S | re.M)
# a code span that names a file of the collection (folder/.../name.ext, or a top-level file)
FILE_SPAN = re.compile(r"`((?:docs|roles|playbooks|inventories|meta|plugins|changelogs)/[\w./-]*\w"
                       r"|CHANGELOG\.md|LICENSE|requirements\.txt|requirements\.yml|galaxy\.yml)`")


def _read(path):
    with open(path, encoding="utf-8") as handle:
        return handle.read()


def _prose(text):
    """Markdown without fenced code blocks (a link inside a code sample is not a link)."""
    return CODE_FENCE.sub("", text)


def _links(path):
    text = _prose(_read(path))
    return [(m.group("text"), m.group("target")) for m in LINK.finditer(text)] + \
        [(m.group("text"), m.group("target")) for m in IMAGE.finditer(text)]


def _slug(heading):
    """GitHub's anchor for a heading: lower case, punctuation dropped, spaces to hyphens."""
    heading = re.sub(r"`", "", heading.strip()).lower()
    heading = re.sub(r"[^\w\- ]", "", heading)
    return heading.replace(" ", "-")


def _anchors(path):
    return {_slug(line.lstrip("#")) for line in _prose(_read(path)).splitlines() if re.match(r"#{1,6} ", line)}


def _repository():
    with open(os.path.join(ROOT, "galaxy.yml"), encoding="utf-8") as handle:
        galaxy = yaml.safe_load(handle)
    return (galaxy.get("repository") or "").rstrip("/")


def _doc_files():
    files = sorted(glob.glob(os.path.join(ROOT, "docs", "**", "*.md"), recursive=True))
    files += sorted(glob.glob(os.path.join(ROOT, "roles", "*", "README.md")))
    files += sorted(glob.glob(os.path.join(ROOT, "inventories", "*", "README.md")))
    return files


def test_readme_has_no_link_that_breaks_on_galaxy():
    repository = _repository()
    broken = []
    for text, target in _links(os.path.join(ROOT, "README.md")):
        if target.startswith("https://") or target.startswith("http://"):
            continue
        hint = ("%s/blob/main/<path>" % repository) if repository else "a code span such as `docs/winrm.md`"
        broken.append("[%s](%s): relative links and anchors break on Galaxy; use %s" % (text, target, hint))
    assert broken == []


def test_files_the_readme_names_exist():
    named = FILE_SPAN.findall(_prose(_read(os.path.join(ROOT, "README.md"))))
    assert "docs/winrm.md" in named and "LICENSE" in named, "the pattern finds the README's file names"
    # a path inside a role ("the role's meta/argument_specs.yml") exists in every role
    missing = sorted({n for n in named if not os.path.exists(os.path.join(ROOT, n.rstrip("/")))
                      and not glob.glob(os.path.join(ROOT, "roles", "*", n))})
    assert missing == []


def test_readme_links_into_the_repository_when_galaxy_yml_names_one():
    repository = _repository()
    if not repository:
        pytest.skip("galaxy.yml names no repository (no public host yet): nothing to link into")
    for _text, target in _links(os.path.join(ROOT, "README.md")):
        if target.startswith(repository + "/blob/") or target.startswith(repository + "/tree/"):
            path = target.split("/", 7)[-1].split("#")[0]  # .../blob/<branch>/<path>
            assert os.path.exists(os.path.join(ROOT, path)), target


@pytest.mark.parametrize("path", _doc_files(), ids=lambda p: os.path.relpath(p, ROOT))
def test_relative_links_in_the_docs_resolve(path):
    problems = []
    for text, target in _links(path):
        if re.match(r"^[a-z][a-z0-9+.-]*:", target):  # https:, mailto: ...
            continue
        file_part, anchor = (target.split("#", 1) + [""])[:2]
        dest = os.path.normpath(os.path.join(os.path.dirname(path), file_part)) if file_part else path
        if not os.path.exists(dest):
            problems.append("[%s](%s): %s does not exist" % (text, target, os.path.relpath(dest, ROOT)))
        elif not dest.startswith(ROOT + os.sep):
            problems.append("[%s](%s) leaves the collection" % (text, target))
        elif anchor and dest.endswith(".md") and anchor not in _anchors(dest):
            problems.append("[%s](%s): no heading '%s' in %s" % (text, target, anchor, os.path.relpath(dest, ROOT)))
    assert problems == []


def test_the_link_checker_finds_broken_links(tmp_path):
    """The checks above can fail: a missing file and a missing heading are reported."""
    doc = tmp_path / "doc.md"
    doc.write_text("# Title\n\n[gone](nothere.md) [bad anchor](#nope) [ok](#title)\n")
    links = _links(str(doc))
    assert ("gone", "nothere.md") in links and ("bad anchor", "#nope") in links
    assert _anchors(str(doc)) == {"title"}
    assert _slug("Which reader checks which file") == "which-reader-checks-which-file"
    assert _slug("Rotation: `rtvs.remote.rotate`") == "rotation-rtvsremoterotate"
