#!/usr/bin/env python3
"""Every variable docker-compose.yml reads is documented in .env.example and in the README's
"Running the whole stack" section, and .env.example documents nothing the compose file ignores.
Also the compose file's promises that a schema cannot check: only web-ui, n8n and Grafana publish
ports. Standard library only; run from anywhere (CI: .ci/run)."""
import os
import re
import sys

repo = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
compose = open(os.path.join(repo, "docker-compose.yml"), encoding="utf-8").read()
example = open(os.path.join(repo, ".env.example"), encoding="utf-8").read()
readme = open(os.path.join(repo, "README.md"), encoding="utf-8").read()
section = readme.split("## Running the whole stack", 1)[-1].split("\n## ", 1)[0]

# ${NAME...} interpolations, and `NAME:` entries without a value (passed through when set).
used = set(re.findall(r"\$\{([A-Z][A-Z0-9_]*)", compose))
used |= set(re.findall(r"^ +([A-Z][A-Z0-9_]*):\s*$", compose, re.M))
documented = set(re.findall(r"^#? ?([A-Z][A-Z0-9_]*)=", example, re.M))
in_readme = set(re.findall(r"`([A-Z][A-Z0-9_]*)`", section))

problems = [f"{v}: read by docker-compose.yml, missing from .env.example" for v in sorted(used - documented)]
problems += [f"{v}: in .env.example, not read by docker-compose.yml" for v in sorted(documented - used)]
problems += [f"{v}: missing from the README's variable table" for v in sorted(used - in_readme)]
# Services are the two-space keys under `services:`; a `ports:` four spaces in belongs to one.
published, service = set(), None
body = compose.split("\nservices:\n", 1)[1].split("\nnetworks:", 1)[0]
for line in body.splitlines():
    if m := re.match(r"^  ([a-z0-9-]+):\s*$", line):
        service = m.group(1)
    elif re.match(r"^    ports:", line):
        published.add(service)
if published != {"web-ui", "n8n", "grafana"}:
    problems.append(f"published by default: {sorted(published)} (only web-ui, n8n and grafana may be)")

for p in problems:
    print("FAIL:", p)
print(f"{len(used)} variables; {len(problems)} problems")
sys.exit(1 if problems else 0)
