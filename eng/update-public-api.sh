#!/usr/bin/env bash
# Adds every public symbol the PublicApiAnalyzers report as undeclared (RS0016) to the
# project's PublicAPI.Unshipped.txt, and drops entries reported as removed (RS0017).
# Usage: eng/update-public-api.sh src/<Project>   (review the diff: it is a design decision)
set -euo pipefail
dir=${1:?usage: eng/update-public-api.sh src/<Project>}
proj=$(ls "$dir"/*.csproj)
log=$(mktemp)
dotnet build "$proj" -p:TreatWarningsAsErrors=false --no-incremental -clp:NoSummary >"$log" 2>&1 || true
python3 - "$dir" "$log" <<'PY'
import re, sys, os
d, log = sys.argv[1], sys.argv[2]
proj = os.path.abspath(d)
add, remove = set(), set()
for line in open(log, encoding='utf-8', errors='replace'):
    if os.path.basename(proj) + '.csproj' not in line and proj not in line:
        continue
    m = re.search(r"RS0016: Symbol '(.*)' is not part of the declared public API", line)
    if m: add.add(m.group(1))
    m = re.search(r"RS0017: Symbol '(.*)' is part of the declared API, but is either not public or could not be found", line)
    if m: remove.add(m.group(1))
path = os.path.join(d, 'PublicAPI.Unshipped.txt')
lines = [l.rstrip('\n') for l in open(path, encoding='utf-8')] if os.path.exists(path) else ['#nullable enable']
body = [l for l in lines[1:] if l and l not in remove] + sorted(add - set(lines))
open(path, 'w', encoding='utf-8').write('\n'.join(['#nullable enable'] + sorted(set(body))) + '\n')
print(f"{path}: +{len(add)} -{len(remove)}")
PY
grep -E "error" "$log" | grep -v -E "RS001[67]" | sort -u | head -20 || true
