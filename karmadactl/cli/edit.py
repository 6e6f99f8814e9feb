"""label, annotate, patch, edit: change one stored object in place, then run the usual pass."""

from __future__ import annotations

import typer

from karmadactl.cli.env import Env

EDIT_HEADER = ("# Edit the object below and save it to store it. Lines beginning with '#' are ignored;\n"
               "# an empty file cancels the edit. When the result is not valid, this file opens again\n"
               "# with the errors at the top.\n#\n")
CANCELLED = "Edit cancelled, no changes made."


LABEL_HELP = ("Set or remove labels of templates, policies or clusters, as kubectl label does: "
              "label KIND NAME... key=value... key-... [--overwrite] (or KIND/NAME)")
ANNOTATE_HELP = ("Set or remove annotations of templates, policies or clusters, as kubectl annotate "
                 "does: annotate KIND NAME... key=value... key-... [--overwrite]")
PATCH_HELP = ("Change a stored template, policy or cluster with a patch, as kubectl patch does: "
              "patch KIND NAME (-p PATCH | --patch-file F) [--type strategic|merge|json]")
EDIT_HELP = ("Edit a stored template, policy or cluster in $KUBE_EDITOR or $EDITOR (else vi), as kubectl "
             "edit does: validated like apply, reopened with the errors when it is not valid")
SELECTOR_HELP = "Every object of KIND whose labels match, instead of names"


def label(ctx: typer.Context,
          resource: str = typer.Argument(..., help="deploy, pp, clusters, ... (or KIND/NAME)", metavar="KIND"),
          args: list[str] = typer.Argument(..., help="names, then key=value to set and key- to remove",
                                           metavar="NAME... LABEL..."),
          namespace: str | None = typer.Option(None, "-n", "--namespace",
                                               help="Namespace of the objects [default: default]"),
          overwrite: bool = typer.Option(False, "--overwrite", help="Change the value of an existing label"),
          selector: str | None = typer.Option(None, "-l", "--selector", help=SELECTOR_HELP),
          all_: bool = typer.Option(False, "--all", help="Every object of KIND in the namespace"),
          dry_run: bool = typer.Option(False, "--dry-run", help="Show the result; store nothing"),
          output: str = typer.Option("", "-o", "--output", help="yaml|json|name: print the objects")) -> int:
    return _relabel(ctx.obj, "labels", resource, args, namespace, overwrite, dry_run, output, selector, all_)


def annotate(ctx: typer.Context,
             resource: str = typer.Argument(..., help="deploy, pp, clusters, ... (or KIND/NAME)", metavar="KIND"),
             args: list[str] = typer.Argument(..., help="names, then key=value to set and key- to remove",
                                              metavar="NAME... ANNOTATION..."),
             namespace: str | None = typer.Option(None, "-n", "--namespace",
                                                  help="Namespace of the objects [default: default]"),
             overwrite: bool = typer.Option(False, "--overwrite",
                                            help="Change the value of an existing annotation"),
             selector: str | None = typer.Option(None, "-l", "--selector", help=SELECTOR_HELP),
             all_: bool = typer.Option(False, "--all", help="Every object of KIND in the namespace"),
             dry_run: bool = typer.Option(False, "--dry-run", help="Show the result; store nothing"),
             output: str = typer.Option("", "-o", "--output", help="yaml|json|name: print the objects")) -> int:
    return _relabel(ctx.obj, "annotations", resource, args, namespace, overwrite, dry_run, output, selector, all_)


def patch(ctx: typer.Context,
          resource: str = typer.Argument(..., help="deploy, pp, ... (or KIND/NAME)", metavar="KIND"),
          name: str | None = typer.Argument(None, metavar="NAME"),
          patch_text: str | None = typer.Option(None, "-p", "--patch", help="The patch, JSON or YAML"),
          patch_file: str | None = typer.Option(None, "--patch-file", help="A file holding the patch"),
          patch_type: str = typer.Option("strategic", "--type", help="strategic|merge|json"),
          namespace: str | None = typer.Option(None, "-n", "--namespace",
                                               help="Namespace of the object [default: default]"),
          dry_run: bool = typer.Option(False, "--dry-run", help="Show the result; store nothing"),
          output: str = typer.Option("", "-o", "--output", help="yaml|json|name: print the object")) -> int:
    from karmadactl.commands import edit as editing
    from karmadactl.controllers import edit
    from karmadactl.errors import UsageError

    env: Env = ctx.obj
    _check(output)
    if patch_file is not None and patch_text is None:
        text, source = _read_patch(patch_file, env), patch_file
    elif patch_text is not None and patch_file is None:
        text, source = patch_text, "--patch"
    else:
        raise UsageError("patch: give the patch with -p PATCH or --patch-file FILE (one of them)")
    doc = edit.parse_patch(text, patch_type, source)
    with env.store() as store:
        ref = editing.one(store, "patch", resource, name, namespace)
        changed = editing.patch(store, ref, doc, patch_type, source, dry_run=dry_run)
        word = "patched" if changed.result.changed else "patched (no change)"
        return _done(env, store, [(changed.shown, changed.result, word)], dry_run, output)


def edit(ctx: typer.Context,
         resource: str = typer.Argument(..., help="deploy, pp, ... (or KIND/NAME)", metavar="KIND"),
         name: str | None = typer.Argument(None, metavar="NAME"),
         namespace: str | None = typer.Option(None, "-n", "--namespace",
                                              help="Namespace of the object [default: default]"),
         output: str = typer.Option("yaml", "-o", "--output", help="yaml|json: how to show the object")) -> int:
    from karmadactl.cli.output import check_output
    from karmadactl.commands import edit as editing

    env: Env = ctx.obj
    check_output(output, ("yaml", "json"), "edit")
    editor = _editor(env)
    with env.store() as store:
        ref = editing.one(store, "edit", resource, name, namespace)
        original = editing.current(store, ref)
        result = _edit_loop(env, store, ref, original, editor, output)
        if result is None:
            env.out(CANCELLED)
            return 0
        return _done(env, store, [(editing.shown(ref), result, "edited")], False, "")


def register(app: typer.Typer) -> None:
    app.command("label", help=LABEL_HELP)(label)
    app.command("annotate", help=ANNOTATE_HELP)(annotate)
    app.command("patch", help=PATCH_HELP)(patch)
    app.command("edit", help=EDIT_HELP)(edit)


def _relabel(env: Env, field: str, resource: str, args: list[str], namespace: str | None, overwrite: bool,
             dry_run: bool, output: str, selector: str | None = None, all_: bool = False) -> int:
    from karmadactl.commands import edit
    from karmadactl.controllers import clusters
    from karmadactl.errors import InvalidInput, UsageError

    command, what = ("label", "label") if field == "labels" else ("annotate", "annotation")
    _check(output)
    names = [a for a in args if "=" not in a and not (a.endswith("-") and len(a) > 1)]
    specs = [a for a in args if a not in names]
    if "/" in resource:
        names, resource = [resource, *names], ""
    if not specs:
        raise InvalidInput(f"{command}: at least one {what} update is required (key=value or key-)")
    choosing = selector is not None or all_
    if choosing and (names or (selector is not None and all_)):
        raise UsageError(f"{command}: give names, -l SELECTOR or --all (one of them)")
    if not names and not choosing:
        raise InvalidInput(f"{command}: give the name of the object to {command} (or -l SELECTOR, --all)")
    to_set, remove = clusters.parse_label_changes(specs, command, what=what)
    change = edit.Relabel(field, to_set, remove, overwrite, f"{command} {' '.join(specs)}")

    def word(changed: bool) -> str:
        if field == "annotations":       # kubectl's one word
            return "annotated"
        if changed:                      # kubectl's words (kubectl/pkg/cmd/label/label.go)
            return "unlabeled" if not to_set and not overwrite else "labeled"
        return "not labeled"

    with env.store() as store:
        refs = edit.chosen(store, resource, names, namespace, selector, all_)
        if not refs:
            env.err("No resources found")      # as kubectl says it
            return 0
        done = edit.relabel(store, refs, change, dry_run=dry_run)
        notes = [[f'label "{key}" not found.' for key in c.missing] if field == "labels" else [] for c in done]
        results = [(c.shown, c.result, word(c.result.changed)) for c in done]
        return _done(env, store, results, dry_run, output, notes)


def _done(env: Env, store, results, dry_run: bool, output: str, notes: list[list[str]] | None = None) -> int:
    """Print what changed (each object's notes first) or the objects, then run the pass when
    something was stored."""
    from karmadactl.cli.resources import report_pass, run_with_progress

    if output in ("yaml", "json"):
        from karmadactl.cli.output import write_list

        if len(results) == 1:
            env.stdout.write(_render(results[0][1].obj, output))
        else:
            write_list(env.stdout, [r.obj for _, r, _ in results], output)
    else:
        for i, (shown, _, word) in enumerate(results):
            for line in notes[i] if notes else ():
                env.out(line)
            env.out(shown if output == "name" else f"{shown} {word}{' (dry run)' if dry_run else ''}")
    if dry_run or not any(r.changed for _, r, _ in results):
        return 0
    plans, report = run_with_progress(env, store)
    return report_pass(env, plans, report, quiet=bool(output))


def _read_patch(path: str, env: Env) -> str:
    from karmadactl.cli import files
    from karmadactl.errors import InvalidInput

    if path == "-":
        return files.read_stdin(env.stdin)
    try:
        with open(path, "rb") as stream:
            return files.decode(files.read_bytes(stream, path), path)
    except OSError as e:
        raise InvalidInput(f"{path[:200]}: cannot read: {e.strerror or e}") from None


def _check(output: str) -> None:
    if output:
        from karmadactl.cli.output import check_output

        check_output(output, ("yaml", "json", "name"), "this command")


def _editor(env: Env) -> list[str]:
    """$KUBE_EDITOR, then $EDITOR, then vi on a terminal; as a command line split like a shell's."""
    import os
    import shlex

    from karmadactl.errors import UsageError

    chosen = os.environ.get("KUBE_EDITOR") or os.environ.get("EDITOR")
    if not chosen:
        if not env.stdin_tty:
            raise UsageError("edit: no editor: set KUBE_EDITOR or EDITOR (vi is used only on a terminal)")
        chosen = "vi"
    return shlex.split(chosen)


def _render(obj: dict, output: str) -> str:
    from karmadactl.cli.output import to_json, to_yaml

    return to_yaml(obj) if output == "yaml" else to_json(obj) + "\n"


def _strip_comments(text: str) -> str:
    return "".join(line for line in text.splitlines(keepends=True) if not line.lstrip().startswith("#"))


def _edit_loop(env: Env, store, ref, original: dict, editor: list[str], output: str):
    """Open the editor until the result is valid and stored (a Result), unchanged or empty (None).
    A result that fails again exactly as before ends the edit with its errors."""
    import os
    import subprocess
    import tempfile

    import yaml

    from karmadactl.commands import edit as editing
    from karmadactl.errors import InvalidInput

    text = _render(original, output)
    buffer, failed = EDIT_HEADER + text, None
    folder = tempfile.mkdtemp(prefix="karmadactl-edit-")
    path = os.path.join(folder, f"{ref.info.kind.lower()}-{ref.name}.{output}")
    try:
        while True:
            with open(path, "w", encoding="utf-8") as f:
                f.write(buffer)
            try:
                code = subprocess.run([*editor, path]).returncode
            except OSError as e:
                raise InvalidInput(f"edit: cannot run the editor {editor[0]!r}: {e.strerror}") from None
            if code != 0:
                raise InvalidInput(f"edit: the editor {editor[0]!r} exited with {code}; nothing was stored")
            with open(path, encoding="utf-8") as f:
                body = _strip_comments(f.read())
            if not body.strip() or body == text:
                return None
            if failed is not None and body == failed[0]:
                kept, copy_path = tempfile.mkstemp(prefix="karmadactl-edit-", suffix=f".{output}")
                with os.fdopen(kept, "w", encoding="utf-8") as f:
                    f.write(body)
                raise InvalidInput(f"edit: {failed[1]} (nothing was stored; your changes are in {copy_path})")
            try:
                try:
                    edited = yaml.safe_load(body)
                except yaml.YAMLError as e:
                    raise InvalidInput(f"{path}: not valid {output.upper()}: "
                                       f"{' '.join(str(e).split())}") from None
                if not isinstance(edited, dict):
                    raise InvalidInput(f"{path}: the edited object is not a mapping")
                if edited == original:
                    return None
                result = editing.store_edited(store, ref, original, edited)
                return result if result.changed else None     # e.g. only status or server fields edited
            except InvalidInput as e:
                failed = (body, str(e).replace("\n", "; "))
                errors = "".join(f"# * {line}\n" for line in str(e).splitlines())
                buffer = f"# The edit was not stored:\n{errors}#\n" + EDIT_HEADER + body
    finally:
        import shutil

        shutil.rmtree(folder, ignore_errors=True)
