"""Which requirements of the extras pip could not match are missing from an environment.

pip before 24 compares extra names as written: jusText asks for `lxml[html_clean]`, lxml 6
provides `html-clean`, and pip only warns "lxml 6.1.3 does not provide the extra 'html_clean'"
and installs nothing for it. This reads such warnings from pip's output and checks, in the
environment's site-packages, that every requirement of each of those extras is installed anyway
(masthead declares them itself). Exit status 1, with each missing requirement, if one is not.

Usage: python scripts/unmet_extras.py PIP_OUTPUT SITE_PACKAGES
"""

from __future__ import annotations

import re
import sys
from importlib.metadata import Distribution, distributions
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

WARNING = re.compile(r"(\S+) \S+ does not provide the extra '([^']+)'")


def unmet(pip_output: str, site_packages: Path) -> list[str]:
    """The requirements of unmatched extras that are not installed, as "pkg[extra]: req"."""
    installed: dict[str, Distribution] = {
        canonicalize_name(dist.metadata["Name"]): dist
        for dist in distributions(path=[str(site_packages)])
    }
    missing = []
    for name, extra in sorted(set(WARNING.findall(pip_output))):
        dist = installed.get(canonicalize_name(name))
        if dist is None:
            missing.append(f"{name}[{extra}]: {name} itself is not installed")
            continue
        for line in dist.requires or []:
            requirement = Requirement(line)
            marker = requirement.marker
            in_extra = marker is not None and marker.evaluate({"extra": canonicalize_name(extra)})
            if not in_extra or marker.evaluate({"extra": ""}):
                continue  # Not this extra's (or always required, which pip did install).
            found = installed.get(canonicalize_name(requirement.name))
            if found is None or not requirement.specifier.contains(found.version, prereleases=True):
                missing.append(f"{name}[{extra}]: {line}")
    return missing


def main() -> int:
    pip_output = Path(sys.argv[1]).read_text(encoding="utf-8", errors="replace")
    missing = unmet(pip_output, Path(sys.argv[2]))
    for line in missing:
        print(f"not installed: {line}", file=sys.stderr)
    return 1 if missing else 0


if __name__ == "__main__":
    sys.exit(main())
