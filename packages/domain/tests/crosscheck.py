#!/usr/bin/env python3
"""crosscheck.py — holds the generated C validators against an independent JSON Schema 2020-12
implementation (python3-jsonschema) on thousands of documents derived from the schemas' own
"examples" and from documents synthesized from each schema's bounds.

For every example and every mutation of it (each member removed, set to values of every type,
set to each bound and one past it, strings at and past their length limit, arrays emptied or
overfilled, unknown members added), it checks that
  - C and the reference accept and reject the same documents;
  - what C accepts, it serializes to a document the reference accepts, equal to the input with the
    schema's defaults filled in.
The custom keywords (x-cf-greater-than, x-cf-greater-or-equal, x-cf-any-positive) are given to the
reference as small extra rules written here from their documented meaning, not from the C code.

Usage: crosscheck.py VALIDATE_LINES_BINARY
"""
import copy
import datetime
import json
import os
import re
import subprocess
import sys
import warnings

HERE = os.path.dirname(os.path.abspath(__file__))
SCHEMAS = os.path.join(os.path.dirname(HERE), "schemas")

try:
    import jsonschema
    from jsonschema import Draft202012Validator, FormatChecker, validators
except ImportError:
    # infra/deps.sh installs Debian's python3-jsonschema for /usr/bin/python3, which may not be
    # the python3 found first on PATH.
    if __name__ != "__main__":
        raise
    if os.path.realpath(sys.executable) != os.path.realpath("/usr/bin/python3") and os.path.exists("/usr/bin/python3"):
        os.execv("/usr/bin/python3", ["/usr/bin/python3"] + sys.argv)
    print("python3-jsonschema is not installed (infra/deps.sh test installs it)", file=sys.stderr)
    sys.exit(1)

warnings.simplefilter("ignore", DeprecationWarning)


def load_schemas():
    out = {}
    for fn in sorted(os.listdir(SCHEMAS)):
        if fn.endswith(".json"):
            with open(os.path.join(SCHEMAS, fn), encoding="utf-8") as f:
                out[fn[:-5]] = json.load(f)
    return out


SCHEMA_DOCS = load_schemas()
BASE = "file://" + SCHEMAS + "/"


def deref(schema):
    """Follows a sibling-file $ref (merging its siblings such as default)."""
    while isinstance(schema, dict) and "$ref" in schema:
        target = SCHEMA_DOCS[schema["$ref"][:-5]]
        extra = {k: v for k, v in schema.items() if k != "$ref"}
        schema = dict(target, **extra)
    return schema


def is_number(x):
    return isinstance(x, (int, float)) and not isinstance(x, bool)


# ---- the reference validator with the custom keywords -------------------------------------------

RFC3339 = re.compile(r"^\d{4}-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])[Tt]([01]\d|2[0-3]):[0-5]\d:([0-5]\d|60)"
                     r"(\.\d+)?([Zz]|[+-]([01]\d|2[0-3]):[0-5]\d)$")
FORMATS = FormatChecker(formats=())


@FORMATS.checks("date-time")
def is_date_time(value):
    if not isinstance(value, str):
        return True
    if not RFC3339.match(value):
        return False
    try:
        datetime.date(int(value[0:4]), int(value[5:7]), int(value[8:10]))
    except ValueError:
        return False
    return True


def member(instance, props, name):
    if name in instance:
        return instance[name]
    return deref(props.get(name, {})).get("default")


def properties_with_cross_rules(validator, properties, instance, schema):
    yield from Draft202012Validator.VALIDATORS["properties"](validator, properties, instance, schema)
    if not isinstance(instance, dict):
        return
    for name, ps in properties.items():
        for kw, strict in (("x-cf-greater-than", True), ("x-cf-greater-or-equal", False)):
            if kw not in ps:
                continue
            a, b = member(instance, properties, name), member(instance, properties, ps[kw])
            if is_number(a) and is_number(b) and not (a > b if strict else a >= b):
                yield jsonschema.ValidationError("%s must be %s %s" % (name, kw, ps[kw]))


def any_positive(validator, names, instance, schema):
    if not isinstance(instance, dict):
        return
    values = [member(instance, schema.get("properties", {}), n) for n in names]
    if not any(is_number(v) and v > 0 for v in values):
        yield jsonschema.ValidationError("one of %s must be > 0" % names)


Reference = validators.extend(Draft202012Validator, {"properties": properties_with_cross_rules,
                                                     "x-cf-any-positive": any_positive})


def reference_for(name):
    # Without "$schema" a referenced schema is checked by this validator class, custom keywords
    # included, instead of the stock class its dialect names.
    plain = {n: {k: v for k, v in s.items() if k != "$schema"} for n, s in SCHEMA_DOCS.items()}
    store = {BASE + n + ".json": s for n, s in plain.items()}
    resolver = jsonschema.RefResolver(BASE + name + ".json", plain[name], store=store)
    return Reference(plain[name], resolver=resolver, format_checker=FORMATS)


# ---- documents -----------------------------------------------------------------------------------

def union_variant(schema, instance):
    mapping = schema["discriminator"]["mapping"]
    tag = instance.get(schema["discriminator"]["propertyName"]) if isinstance(instance, dict) else None
    return deref({"$ref": mapping[tag]}) if tag in mapping else None


def resolve(schema, instance):
    schema = deref(schema)
    if "oneOf" in schema:
        return union_variant(schema, instance)
    return schema


def with_defaults(instance, schema):
    """The instance with every absent defaulted member filled in, recursively."""
    schema = resolve(schema, instance)
    if schema is None:
        return instance
    if isinstance(instance, dict) and "properties" in schema:
        out = {}
        for k, v in instance.items():
            out[k] = with_defaults(v, schema["properties"][k]) if k in schema["properties"] else v
        for k, ps in schema["properties"].items():
            d = deref(ps)
            if k not in out and "default" in d:
                out[k] = copy.deepcopy(d["default"])
        return out
    if isinstance(instance, list) and "items" in schema:
        return [with_defaults(x, schema["items"]) for x in instance]
    return instance


def base_type(s):
    """The type of a schema, without the "null" of a member that may be null."""
    t = s.get("type")
    if isinstance(t, list):
        rest = [x for x in t if x != "null"]
        return rest[0] if len(rest) == 1 else None
    return t


def bound_values(s):
    vals = []
    for b in [s] + s.get("anyOf", []):
        for k in ("minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum", "const"):
            if k in b and is_number(b[k]):
                x = b[k]
                step = 1 if base_type(s) == "integer" else 0.01
                vals += [x - step, x, x + step]
    return vals


def candidates(schema):
    s = deref(schema)
    vals = [None, True, "x", "", 1.5, 0, -1, 1, 2, 5000.0, [], {}, {"a": 1}]
    if base_type(s) != "integer":  # C integers are int64: larger integral values are refused
        vals.append(1e300)
    vals += bound_values(s)
    if base_type(s) == "string":
        n = s.get("maxLength", 8)
        vals += ["a" * n, "a" * (n + 1), "\u00e9" * n, "\u00e9" * (n + 1)]
        if s.get("format") == "date-time":
            vals += ["2026-01-31T12:00:00Z", "2026-02-30T25:00:00Z", "2026-01-31 12:00:00Z",
                     "2024-02-29T00:00:00Z", "2100-02-29T00:00:00Z", "2026-04-31T00:00:00Z",
                     "2026-01-31T12:00:00.123+05:30", "2026-01-31T12:00:00"]
    if "enum" in s:
        vals += s["enum"] + ["bogus", s["enum"][0].upper()]
    if "const" in s:
        vals += [s["const"], s["const"] + "x"]
    return vals


def mutations(instance, schema, depth=0):
    """Yields documents that differ from instance in one place (at any depth)."""
    s = resolve(schema, instance)
    yield []
    yield "text"
    if s is None or depth > 4:
        return
    if isinstance(instance, dict) and "properties" in s:
        yield dict(instance, zz_unknown=1)
        for k, ps in s["properties"].items():
            if k in instance:
                yield {kk: vv for kk, vv in instance.items() if kk != k}
                for sub in mutations(instance[k], ps, depth + 1):
                    yield dict(instance, **{k: sub})
            for v in candidates(ps):
                yield dict(instance, **{k: v})
    elif isinstance(instance, dict) and "maxProperties" in s:  # a free-form member
        yield {("k%d" % i): i for i in range(s["maxProperties"] + 1)}
        yield dict(instance, zz_text="x")
    elif isinstance(instance, list) and "items" in s:
        yield []
        if instance and s.get("maxItems", 0) <= 300:
            yield instance + [instance[0]] * (s["maxItems"] + 1 - len(instance))
            yield [instance[0]] * s["maxItems"]
        for i, x in enumerate(instance[:3]):
            for sub in mutations(x, s["items"], depth + 1):
                yield instance[:i] + [sub] + instance[i + 1:]


def synth(schema, full):
    """A valid value for schema, built from its bounds: only required members, or all when full."""
    s = deref(schema)
    if "oneOf" in s:
        return synth(s["oneOf"][0], full)
    if "const" in s:
        return s["const"]
    if "default" in s and not full:
        return copy.deepcopy(s["default"])
    if "enum" in s:
        return s["enum"][-1] if full else s["enum"][0]
    t = base_type(s)
    if t in ("integer", "number"):
        b = (s.get("anyOf") or [s])[-1]
        if "const" in b:
            return b["const"]
        lo = b.get("minimum", b.get("exclusiveMinimum", 0) + (1 if "exclusiveMinimum" in b else 0))
        hi = b.get("maximum", b.get("exclusiveMaximum", lo + 2) - (1 if "exclusiveMaximum" in b else 0))
        return lo if t == "integer" and not full else (lo + hi) // 2 if t == "integer" else (lo + hi) / 2
    if t == "string":
        if s.get("format") == "date-time":
            return "2026-01-31T12:00:00Z"
        return "s" * max(s.get("minLength", 0), 1 if full else s.get("minLength", 0))
    if t == "boolean":
        return full
    if t == "array":
        n = max(s.get("minItems", 0), 2 if full else 0)
        return [synth(s["items"], full) for _ in range(min(n, s["maxItems"]))]
    if t == "object" and "properties" not in s:
        return {"n": 1} if full else {}
    out = {}
    for k, ps in s.get("properties", {}).items():
        if full or k in s.get("required", []) or len(out) < s.get("minProperties", 0):
            out[k] = synth(ps, full)
    out = dict(list(out.items())[:s.get("maxProperties", len(out))])
    for k, ps in s.get("properties", {}).items():  # cross-field rules: push the larger member up
        for kw in ("x-cf-greater-than", "x-cf-greater-or-equal"):
            other = member(out, s["properties"], ps.get(kw, ""))
            if kw in ps and k in out and is_number(other) and is_number(out[k]) and out[k] <= other:
                out[k] = other + 1
    for n in s.get("x-cf-any-positive", []):
        if not any(is_number(out.get(x)) and out[x] > 0 for x in s["x-cf-any-positive"]):
            positive = {k: v for k, v in deref(s["properties"][n]).items() if k != "default"}
            out[n] = synth(dict(positive, anyOf=[{"minimum": 2, "maximum": 64}]), full)
    return out


def with_synthesized(examples):
    """The schemas' examples plus, for every object and union schema, a minimal and a full document built
    from the schema itself, so types without a hand-written example are still covered."""
    out = {k: list(v) for k, v in examples.items()}
    for name, schema in SCHEMA_DOCS.items():
        if "enum" in schema:
            continue
        for full in (False, True):
            doc = synth(schema, full)
            if not list(reference_for(name).iter_errors(doc)):
                out.setdefault(name, []).append(doc)
            else:
                print("note: could not build a valid %s %s example from its schema" % (
                    "full" if full else "minimal", name))
    return out


def cases(examples):
    seen = set()
    for name, docs in examples.items():
        for doc in docs:
            for m in [doc] + list(mutations(doc, {"$ref": name + ".json"})):
                key = (name, json.dumps(m, sort_keys=True))
                if key not in seen:
                    seen.add(key)
                    yield name, m


def main():
    binary = sys.argv[1]
    for name, schema in SCHEMA_DOCS.items():
        Draft202012Validator.check_schema(schema)
    with open(os.path.join(os.path.dirname(HERE), "generated", "openapi-components.json"), encoding="utf-8") as f:
        components = json.load(f)["schemas"]
    assert sorted(components) == sorted(SCHEMA_DOCS), "OpenAPI components and schemas differ"
    for schema in components.values():
        Draft202012Validator.check_schema(schema)
    examples = with_synthesized({n: s["examples"] for n, s in SCHEMA_DOCS.items() if "examples" in s})
    all_cases = list(cases(examples))
    lines = "".join("%s\t%s\n" % (n, json.dumps(d, ensure_ascii=False)) for n, d in all_cases)
    res = subprocess.run([binary], input=lines.encode("utf-8"), capture_output=True, check=True)
    answers = res.stdout.decode("utf-8").split("\n")
    refs = {n: reference_for(n) for n in examples}
    failures, accepted, skipped = [], 0, 0
    for (name, doc), answer in zip(all_cases, answers):
        verdict, _, detail = answer.partition("\t")
        if verdict == "notype":  # a variant with no fields has no C type of its own
            skipped += 1
            continue
        # the first error decides (and names the reason); the rest would only cost time
        ref_error = next(refs[name].iter_errors(doc), None)
        if (verdict == "ok") != (ref_error is None):
            failures.append("%s %s: C says %s, reference says %s" % (
                name, json.dumps(doc)[:300], answer[:200], ref_error.message[:200] if ref_error else "valid"))
            continue
        if verdict != "ok":
            continue
        accepted += 1
        out = json.loads(detail)
        out_error = next(refs[name].iter_errors(out), None)
        if out_error:
            failures.append("%s: C serialized %s, which the reference rejects: %s" % (name, detail[:300], out_error.message))
        elif out != with_defaults(doc, {"$ref": name + ".json"}):
            failures.append("%s: %s came back as %s" % (name, json.dumps(doc)[:300], detail[:300]))
    print("%d types, %d documents: %d accepted, %d rejected by both; %d disagreements" % (
        len(examples), len(all_cases), accepted, len(all_cases) - skipped - accepted - len(failures), len(failures)))
    for f in failures[:30]:
        print("  " + f)
    return 1 if failures or len(answers) < len(all_cases) else 0


if __name__ == "__main__":
    sys.exit(main())
