"""api-resources and explain: what a member serves (its discovery) and what a field means (its OpenAPI v3).

`explain` prints what `kubectl explain` prints from the same /openapi/v3 document: the layout
follows kubectl's plaintext template (kubernetes/kubernetes
staging/src/k8s.io/kubectl/pkg/explain/v2/templates/plaintext.tmpl), rendered here by pure functions.
"""

from __future__ import annotations

import typer

from karmadactl.cli.env import Env
from karmadactl.errors import ExitCode

DESCRIPTION_WIDTH = 76
FIELD_WIDTH = 78
NBSP = "\u00a0"

# -- text layout (pure) ----------------------------------------------------------------------


def wrap(text: str, limit: int) -> str:
    """Word wrap as kubectl's explain does it: existing line breaks kept, a word moves to the next line
    when it would pass the limit (unless it is that long by itself), the spaces at a break dropped."""
    out: list[str] = []
    line_len = 0
    word, spaces = "", ""
    for char in text:
        if char == "\n":
            if word:
                out.append(spaces + word)
            elif line_len + len(spaces) <= limit:
                out.append(spaces)
            word, spaces, line_len = "", "", 0
            out.append("\n")
        elif char.isspace() and char != NBSP:
            if not spaces or word:
                out.append(spaces + word)
                line_len += len(spaces) + len(word)
                word, spaces = "", ""
            spaces += char
        else:
            word += char
            if line_len + len(spaces) + len(word) > limit and len(word) < limit:
                out.append("\n")
                line_len, spaces = 0, ""
    if word:
        out.append(spaces + word)
    elif line_len + len(spaces) <= limit:
        out.append(spaces)
    return "".join(out)


def indent(text: str, amount: int) -> str:
    pad = " " * amount
    return pad + text.replace("\n", "\n" + pad)


# -- explain (pure) --------------------------------------------------------------------------


class Explainer:
    """One OpenAPI v3 document and the walk kubectl's template makes over it."""

    def __init__(self, document: dict):
        self.document = document

    def resolve(self, ref) -> dict | None:
        if not isinstance(ref, str) or not ref.startswith("#"):
            return None
        current = self.document
        for part in ref[1:].split("/"):
            if not part:
                continue
            nxt = current.get(part) if isinstance(current, dict) else None
            if not isinstance(nxt, dict):
                return None
            current = nxt
        return current

    def gvk(self, group: str, version: str, plural: str) -> dict | None:
        """The x-kubernetes-group-version-kind of the resource's operations."""
        prefix = f"/apis/{group}/{version}" if group else f"/api/{version}"
        paths = self.document.get("paths") or {}
        for path in (f"{prefix}/{plural}", f"{prefix}/{plural}/{{name}}",
                     f"{prefix}/namespaces/{{namespace}}/{plural}",
                     f"{prefix}/namespaces/{{namespace}}/{plural}/{{name}}"):
            operations = paths.get(path) or {}
            for method in ("get", "post", "put", "patch", "delete"):
                found = (operations.get(method) or {}).get("x-kubernetes-group-version-kind")
                if found:
                    return found
        return None

    def kind_schema(self, gvk: dict) -> dict | None:
        for schema in ((self.document.get("components") or {}).get("schemas") or {}).values():
            if gvk in (schema.get("x-kubernetes-group-version-kind") or []):
                return schema
        return None

    def explain(self, group: str, version: str, plural: str, field_path: list[str],
                recursive: bool = False) -> str:
        from karmadactl.errors import NotFound

        gvk = self.gvk(group, version, plural)
        if not gvk:
            raise NotFound(f"GVR ({plural}.{version}.{group}) not found in OpenAPI schema")
        schema = self.kind_schema(gvk)
        if schema is None:
            raise NotFound(f"GVK {gvk} not found in OpenAPI schema")
        head = (f"GROUP:      {gvk['group']}\n" if gvk.get("group") else "") + \
            f"KIND:       {gvk['kind']}\nVERSION:    {gvk['version']}\n\n"
        body = self.output(schema, field_path, recursive, set())
        if not body:
            raise NotFound(f'field "{field_path[-1]}" does not exist')
        return head + body + "\n"

    def output(self, schema: dict, path: list[str], recursive: bool, history: set) -> str:
        ref = schema.get("$ref") or ""
        seen = history | {ref}
        resolved = self.resolve(ref) or schema
        if not path:
            text = "DESCRIPTION:\n" + indent(wrap(self.description(resolved) or "<empty>", DESCRIPTION_WIDTH),
                                              4) + "\n"
            docs = _external_docs(resolved, 0)
            if docs:
                text += "\n" + docs
            fields = self.field_list(resolved, 1, recursive, set())
            return text + ("FIELDS:\n" + fields if fields else "")
        if ref and ref in history:
            return ""
        properties = resolved.get("properties") or {}
        if path[0] in properties:
            sub = properties[path[0]]
            head = ""
            if len(path) == 1:
                head = f"FIELD: {path[0]} <{self.type_guess(sub)}>\n" + _enum(sub, True, -1, 0) + "\n\n"
            return head + self.output(sub, path[1:], recursive, set())
        if resolved.get("items"):
            return self.output(resolved["items"], path, recursive, seen)
        if isinstance(resolved.get("additionalProperties"), dict) and resolved["additionalProperties"]:
            return self.output(resolved["additionalProperties"], path, recursive, seen)
        for sub in resolved.get("allOf") or []:
            found = self.output(sub, path, recursive, seen)
            if found:
                return found
        return ""

    def description(self, schema: dict) -> str:
        current = self.resolve(schema.get("$ref")) or schema
        text = current["description"] + "\n" if current.get("description") else ""
        for sub in current.get("allOf") or []:
            text += self.description(sub)
        if current.get("items"):
            text += self.description(current["items"])
        if isinstance(current.get("additionalProperties"), dict) and current["additionalProperties"]:
            text += self.description(current["additionalProperties"])
        return text

    def field_list(self, schema: dict, level: int, recursive: bool, history: set) -> str:
        ref = schema.get("$ref") or ""
        if ref and ref in history:
            return ""
        seen = history | {ref}
        resolved = self.resolve(ref) or schema
        text = ""
        properties = resolved.get("properties") or {}
        for name in sorted(properties):
            text += self.field_detail(name, resolved, recursive, level)
            if recursive:
                text += self.field_list(properties[name], level + 1, recursive, seen)
        for sub in resolved.get("allOf") or []:
            text += self.field_list(sub, level, recursive, seen)
        if resolved.get("items"):
            text += self.field_list(resolved["items"], level, recursive, seen)
        if isinstance(resolved.get("additionalProperties"), dict) and resolved["additionalProperties"]:
            text += self.field_list(resolved["additionalProperties"], level, recursive, seen)
        return text

    def field_detail(self, name: str, schema: dict, short: bool, level: int) -> str:
        amount = level * 2
        field = schema["properties"][name]
        text = " " * amount + f"{name}\t<{self.type_guess(field)}>"
        if name in (schema.get("required") or []):
            text += " -required-"
        text += _enum(field, False, 4, amount) + "\n"
        if not short:
            text += indent(wrap(field.get("description") or "<no description>", FIELD_WIDTH - amount),
                           amount + 2) + "\n"
            text += _external_docs(field, amount + 2)
            text += "\n"
        return text

    def type_guess(self, schema: dict) -> str:
        if schema.get("items"):
            return "[]" + self.type_guess(schema["items"])
        if isinstance(schema.get("additionalProperties"), dict) and schema["additionalProperties"]:
            return "map[string]" + self.type_guess(schema["additionalProperties"])
        if schema.get("allOf") and not schema.get("properties") and len(schema["allOf"]) == 1:
            return self.type_guess(schema["allOf"][0])
        if schema.get("$ref"):
            target = self.resolve(schema["$ref"])
            if not target or not target.get("type") or target.get("type") == "object":
                return schema["$ref"].split("/")[-1].split(".")[-1] or "Object"
            return str(target["type"])
        kind = schema.get("type")
        return "Object" if kind == "object" or not kind else str(kind)


def _enum(schema: dict, long_view: bool, limit: int, amount: int) -> str:
    values = schema.get("enum")
    if not values:
        return ""
    text = "ENUM:" if long_view else "\n" + " " * amount + "enum: "
    for i, value in enumerate(values):
        if limit > -1 and i >= limit:
            text += ", ...."
            break
        if i > 0 and not long_view:
            text += ", "
        elif long_view:
            text += "\n    "
        text += '""' if value == "" else str(value)
    return text


def _external_docs(schema: dict, amount: int) -> str:
    docs = schema.get("externalDocs")
    if not isinstance(docs, dict) or not docs:
        return ""
    text = indent("EXTERNAL DOCS:", amount) + "\n"
    if docs.get("description"):
        text += indent(wrap(docs["description"], DESCRIPTION_WIDTH - amount), amount + 2) + "\n"
    if docs.get("url"):
        text += indent(f"URL: {docs['url']}", amount + 2) + "\n"
    return text


# -- api-resources (pure) --------------------------------------------------------------------


def resource_rows(resources, *, wide: bool) -> list[list[str]]:
    """kubectl api-resources' cells: NAME SHORTNAMES APIVERSION NAMESPACED KIND [VERBS CATEGORIES]."""
    rows = []
    for r in resources:
        row = [r.name, ",".join(r.short_names), r.group_version, "true" if r.namespaced else "false", r.kind]
        if wide:
            row += [",".join(r.verbs), ",".join(r.categories)]
        rows.append(row)
    return rows


def store_resources(crd_kinds) -> list:
    """The kinds karmadactl's store knows (built-in templates, Karmada's kinds, the stored CRDs'),
    shaped as a member's APIResources."""
    from karmadactl.apis import kinds
    from karmadactl.members.discovery import APIResource

    out: dict[tuple[str, str], APIResource] = {}
    for k in (*kinds.BUILTIN, *crd_kinds):
        group, _, version = k.api_version.rpartition("/")
        out.setdefault((group, k.plural), APIResource(
            name=k.plural, kind=k.kind, group=group, version=version, namespaced=k.namespaced,
            singular=k.kind.lower(), short_names=tuple(k.short_names), verbs=("get", "list")))
    return sorted(out.values(), key=lambda r: (r.group, r.name))


# -- the commands ----------------------------------------------------------------------------

API_RESOURCES_HELP = """Print the resource types:
api-resources [-C CLUSTER] [--namespaced=true|false] [--api-group G] [-o wide|name]

With -C, what that member cluster serves (its discovery, as kubectl api-resources prints it); without,
the kinds karmadactl's store takes: built-in templates, Karmada's kinds and the kinds of stored CRDs."""

EXPLAIN_HELP = """Describe a kind's fields from a member's OpenAPI v3:
explain KIND[.FIELD...] [-C CLUSTER] [--recursive] [--api-version G/V]

The schema is the one the member cluster serves (/openapi/v3), printed as kubectl explain prints it.
Without -C the first joined cluster (by name) that answers is asked."""


def _client(env: Env, store, cluster_name: str | None):
    """(cluster name, MemberClient) for -C, or for the first cluster that answers."""
    from karmadactl.controllers.clusters import client_for, list_clusters
    from karmadactl.errors import InvalidInput, KarmadaError

    clusters = sorted(list_clusters(store, [cluster_name] if cluster_name else None), key=lambda c: c.name)
    if not clusters:
        raise InvalidInput("no cluster is joined: join one (karmadactl join NAME --kubeconfig PATH)")
    failures = []
    for cluster in clusters:
        try:
            client = client_for(store, cluster)
            client.version()
            return cluster.name, client
        except KarmadaError as e:
            if cluster_name:
                raise
            failures.append(e)
            env.err(f"warning: {str(e).splitlines()[0]}")
    raise failures[-1]


def api_resources(ctx: typer.Context,
                  cluster: str | None = typer.Option(None, "-C", "--cluster",
                                                     help="The member cluster to ask"),
                  namespaced: str | None = typer.Option(None, "--namespaced",
                                                        help="true|false: only those"),
                  api_group: str | None = typer.Option(None, "--api-group",
                                                       help="Only this group (\"\" for core)"),
                  output: str = typer.Option("", "-o", "--output", help="wide|name"),
                  no_headers: bool = typer.Option(False, "--no-headers")) -> int:
    from karmadactl.cli.output import print_table
    from karmadactl.errors import UsageError
    from karmadactl.members import discovery

    env: Env = ctx.obj
    if output not in ("", "wide", "name"):
        raise UsageError(f'--output "{output}": one of wide, name')
    if namespaced not in (None, "true", "false"):
        raise UsageError(f'--namespaced "{namespaced}": true or false')
    with env.store() as store:
        if cluster:
            _, client = _client(env, store, cluster)
            try:
                resources = discovery.preferred(discovery.api_resources(client))
            finally:
                client.close()
        else:
            from karmadactl.commands.explain import stored_crd_kinds

            resources = store_resources(stored_crd_kinds(store))
    if namespaced is not None:
        resources = [r for r in resources if r.namespaced == (namespaced == "true")]
    if api_group is not None:
        resources = [r for r in resources if r.group == api_group]
    if output == "name":
        for r in resources:
            env.out(r.qualified)
        return ExitCode.OK
    headers = ["NAME", "SHORTNAMES", "APIVERSION", "NAMESPACED", "KIND"] + (
        ["VERBS", "CATEGORIES"] if output == "wide" else [])
    rows = resource_rows(resources, wide=output == "wide")
    if no_headers:
        widths = [max(len(c) for c in col) for col in zip(*rows)] if rows else []
        for row in rows:
            env.out("   ".join(c.ljust(w) for c, w in zip(row, widths)).rstrip())
    else:
        print_table(env, headers, rows)
    return ExitCode.OK


def explain(ctx: typer.Context,
            what: str = typer.Argument(..., metavar="KIND[.FIELD...]"),
            cluster: str | None = typer.Option(None, "-C", "--cluster",
                                               help="The member cluster whose schema to read"),
            recursive: bool = typer.Option(False, "--recursive", help="Every nested field, names only"),
            api_version: str | None = typer.Option(None, "--api-version",
                                                   help="GROUP/VERSION of the kind")) -> int:
    from karmadactl.errors import NotFound
    from karmadactl.members import discovery

    env: Env = ctx.obj
    typed, *field_path = what.split(".")
    with env.store() as store:
        name, client = _client(env, store, cluster)
        try:
            resources = discovery.api_resources(client)
            if api_version:
                group, _, version = api_version.rpartition("/")
                resources = [r for r in resources if r.group == group and r.version == version]
            resource = discovery.resolve(resources, typed)
            if resource is None:
                raise NotFound(f'cluster {name}: the server doesn\'t have a resource type "{typed}"')
            document = discovery.openapi_document(client, resource)
        finally:
            client.close()
    text = Explainer(document).explain(resource.group, resource.version, resource.name, field_path,
                                       recursive)
    env.stdout.write(text)
    return ExitCode.OK


def register(app: typer.Typer) -> None:
    app.command("api-resources", help=API_RESOURCES_HELP)(api_resources)
    app.command("explain", help=EXPLAIN_HELP)(explain)
