"""Reference answers for the core-metadata differential test (tests/it/metadata.rs).

Reads a JSON object on stdin: {"files": [paths], "envs": [marker environments]}. Parses each
file's bytes with `packaging.metadata.Metadata.from_email(data, validate=False)` and prints, as
JSON, the fields wheelwatch uses, in a form both sides can compare:

- metadata_version (as read, stripped), name (canonicalized), version (normalized);
- requires_python: sorted specifiers (operator + normalized version), null when absent,
  "invalid" when packaging rejects it;
- requires_dist: one entry per header value, in file order. packaging validates the field as a
  whole (one bad value makes the attribute raise), so on failure each value is parsed on its
  own, as wheelwatch does. A valid entry has name, sorted extras, sorted specifiers, url, and
  the marker evaluated in every environment of "envs" with `extra` set to "" and to each
  declared extra (so two parsers agree on the marker's meaning, not on its spelling);
- provides_extra (canonicalized, file order), dynamic (lower-cased, file order).

A field whose value packaging rejects as a whole is "invalid".
"""

import json
import sys

import packaging
from packaging.metadata import InvalidMetadata, Metadata
from packaging.requirements import InvalidRequirement, Requirement
from packaging.utils import canonicalize_name
from packaging.version import Version


def spec_strings(specifier_set):
    out = []
    for spec in specifier_set:
        version = spec.version
        if spec.operator != "===":
            if version.endswith(".*"):
                version = str(Version(version[:-2])) + ".*"
            else:
                version = str(Version(version))
        out.append(spec.operator + version)
    return sorted(out)


def requirement(req, envs, extras):
    evaluations = []
    for env in envs:
        for extra in [""] + extras:
            if req.marker is None:
                evaluations.append(True)
            else:
                evaluations.append(req.marker.evaluate(dict(env, extra=extra)))
    return {
        "name": canonicalize_name(req.name),
        "extras": sorted(canonicalize_name(e) for e in req.extras),
        "specifiers": spec_strings(req.specifier),
        "url": req.url,
        "marker": evaluations,
    }


INVALID = "invalid"


def field(md, attr):
    try:
        return getattr(md, attr)
    except InvalidMetadata:
        return INVALID


def given(value):
    """Whether a field has a usable value (not absent, not rejected)."""
    return value is not None and not (isinstance(value, str) and value == INVALID)


def answer(path, envs):
    with open(path, "rb") as f:
        data = f.read()
    md = Metadata.from_email(data, validate=False)
    raw = dict(md._raw)  # the values as parsed, before any field is validated
    out = {"file": path}
    # As the email layer read it: packaging validates it against the versions it knows, and
    # the tool only needs it to tell sdists before 2.2 apart.
    mv = raw.get("metadata_version")
    out["metadata_version"] = mv.strip() if isinstance(mv, str) else mv
    name = field(md, "name")
    out["name"] = canonicalize_name(name) if given(name) else name
    version = field(md, "version")
    out["version"] = str(version) if given(version) else version
    rp = field(md, "requires_python")
    out["requires_python"] = spec_strings(rp) if given(rp) else rp
    extras = field(md, "provides_extra")
    out["provides_extra"] = list(extras) if given(extras) else extras
    out["dynamic"] = field(md, "dynamic")
    declared = list(extras) if given(extras) else []
    reqs = []
    for value in raw.get("requires_dist") or []:
        try:
            req = Requirement(value)
        except InvalidRequirement:
            reqs.append({"invalid": value})
        else:
            reqs.append(requirement(req, envs, declared))
    out["requires_dist"] = reqs
    return out


def main():
    request = json.load(sys.stdin)
    print(
        json.dumps(
            {
                "packaging": packaging.__version__,
                "files": [answer(p, request["envs"]) for p in request["files"]],
            }
        )
    )


if __name__ == "__main__":
    main()
