"""``texnet models``: list, pull, inspect, remove, verify and publish models; manage indexes."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import click

from texturenet_plugin import env
from texturenet_plugin.errors import ModelError

from .app import App, common_options, echo_json
from .render import emit_json

if TYPE_CHECKING:
    from texturenet_plugin.zoo import local


@click.group("models")
def models():
    """List, download, inspect and share models."""


def describe(entry: local.LocalModel) -> dict:
    """One row of `models list`; a file that does not load is listed with kind "broken" and
    its problem (and a warning), so one bad file never hides the others (issue 17, F12)."""
    from texturenet_plugin.zoo.modelfile import load_model

    try:
        model = load_model(entry.path)
    except ModelError as exc:
        click.echo(f"warning: {exc}", err=True)
        return {"name": entry.name, "kind": "broken", "where": entry.where,
                "path": str(entry.path), "title": f"(broken: {exc})", "problem": str(exc),
                "bytes": entry.path.stat().st_size}
    meta = model.meta
    return {
        "name": entry.name, "kind": model.kind, "where": entry.where, "path": str(entry.path),
        "title": meta.get("title", entry.name), "license": meta.get("license", ""),
        "source": meta.get("source", ""), "descriptor": meta.get("descriptor", ""),
        "bytes": entry.path.stat().st_size, "lattice": model.spec.lattice,
    }


def remote_rows(local: set[str]) -> list[dict]:
    """Index entries not on this machine (network indexes are skipped when offline)."""
    from texturenet_plugin.zoo import cache
    from texturenet_plugin.zoo.index import all_indexes

    if len(all_indexes()) == 1:
        click.echo("note: only the bundled models exist today: no public model index is "
                   "published yet. Add one with TEXNET_INDEX=URL or `texnet models index add "
                   "URL` (README, Sharing models).", err=True)
    lookup = cache.remote_models()
    for problem in lookup.problems:
        click.echo(f"warning: {problem}", err=True)
    if lookup.skipped:
        click.echo(f"note: TEXNET_OFFLINE is set; skipped {', '.join(lookup.skipped)}", err=True)
    return [dict(entry.to_dict(), where="index") for entry in lookup.entries.values()
            if entry.name not in local]


@models.command("list")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable list on stdout.")
@click.option("--remote", is_flag=True, help="Also list models the indexes offer.")
def list_models(as_json, remote):
    """Models on this machine (bundled, trained by you, downloaded); --remote adds the ones
    the indexes offer (where: index).

    LICENCE is the licence of the model's exemplar (`texnet models info NAME` has the full
    text); README, Licences, says what applies to the images you generate."""
    from texturenet_plugin.zoo import local

    rows = [describe(entry) for entry in local.list_local()]
    if remote:
        rows += remote_rows({row["name"] for row in rows})
    if as_json:
        echo_json(rows)
        return
    click.echo(f"{'NAME':<24} {'KIND':<8} {'WHERE':<8} {'LICENCE':<8} TITLE")
    for row in rows:
        licence = row.get("license", "").split(" (")[0] or "unknown"
        click.echo(f"{row['name']:<24} {row['kind']:<8} {row['where']:<8} {licence:<8} "
                   f"{row['title']}")


@models.command("pull")
@click.argument("name")
@click.option("--force", is_flag=True, help="Download again even if a verified copy exists.")
@common_options
def pull(app: App, name, force):
    """Download a model named by an index into the cache (verified, resumable)."""
    from texturenet_plugin.zoo import cache

    result = cache.pull(name, app.reporter(), force=force)
    if result.action == "downloaded":
        app.result(result.path)
    elif app.progress == "json":
        app.finish_progress()
        emit_json({"event": "result", "path": str(result.path), "action": result.action})
    else:
        app.info(f"{name}: {result.action} at {result.path}, nothing downloaded")


@models.command("info")
@click.argument("name")
def info(name):
    """Everything stored about a model (JSON); for a model not yet pulled, its index entry."""
    from texturenet_plugin.zoo import cache, local
    from texturenet_plugin.zoo.download import sha256_file
    from texturenet_plugin.zoo.modelfile import load_model

    path = local.find_local(name)
    if path is None:
        entry = cache.find_entry(name)
        echo_json(dict(entry.to_dict(), installed=False))
        return
    model = load_model(path)
    meta = {k: v for k, v in model.meta.items() if k != "preview"}
    echo_json({"kind": model.kind, "arch": model.spec.to_dict(), "meta": meta,
               "path": str(path), "installed": True, "bytes": path.stat().st_size,
               "sha256": sha256_file(path), "record": cache.read_record(path)})


@models.command("rm")
@click.argument("name")
def rm(name):
    """Remove a downloaded or user-trained model (bundled ones cannot be removed)."""
    from texturenet_plugin.zoo import cache

    for path in cache.remove(name):
        click.echo(f"removed {path}", err=True)


@models.command("verify")
@click.option("--delete", is_flag=True, help="Delete corrupt downloads and partial files.")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable report on stdout.")
def verify(delete, as_json):
    """Re-hash every model on this machine; exit code 4 if corrupt files remain."""
    from texturenet_plugin.zoo.verify import verify_all

    checks = verify_all(delete)
    if as_json:
        echo_json([check.to_dict() for check in checks])
    else:
        for check in checks:
            gone = " (deleted)" if check.deleted else ""
            click.echo(f"{check.status:<10} {check.where:<8} {check.name:<24} "
                       f"{check.detail}{gone}")
    bad = [c for c in checks if c.status == "corrupt" and not c.deleted]
    if bad:
        hint = ("reinstall texnet for bundled files" if any(c.where == "bundled" for c in bad)
                else "run `texnet models verify --delete`, then pull again")
        raise ModelError(f"{len(bad)} corrupt model file(s): {hint}")


@models.command("publish")
@click.argument("folder", type=click.Path(file_okay=False, path_type=Path))
@click.option("--base-url", metavar="URL",
              help="Absolute URL the files will be served from (default: relative URLs, so "
                   "the index works wherever the folder is served).")
def publish(folder, base_url):
    """Write FOLDER/index.json for the .tnet files in FOLDER (serve it from any web server)."""
    from texturenet_plugin.zoo.publish import publish as write_index

    target = write_index(folder, base_url)
    click.echo(str(target))


@models.group("index")
def index_group():
    """The extra indexes stored in the config file (TEXNET_INDEX adds more)."""


@index_group.command("add")
@click.argument("url")
def index_add(url):
    """Remember an index URL (http://, https:// or file://)."""
    from texturenet_plugin.zoo.index import add_index

    added = add_index(url)
    click.echo(f"{'added' if added else 'already listed'}: {url} ({env.config_file()})",
               err=True)


@index_group.command("rm")
@click.argument("url")
def index_rm(url):
    """Forget an index URL."""
    from texturenet_plugin.zoo.index import remove_index

    if not remove_index(url):
        raise click.ClickException(f"{url} is not in {env.config_file()}")
    click.echo(f"removed: {url}", err=True)


@index_group.command("list")
def index_list():
    """Every index in lookup order (bundled, TEXNET_INDEX, config file)."""
    from texturenet_plugin.zoo.index import all_indexes

    for url in all_indexes():
        click.echo(url)


@models.command("path")
def path():
    """Where downloaded and user-trained models live."""
    click.echo(f"cache: {env.models_cache_dir()}")
    click.echo(f"user:  {env.user_models_dir()}")


from .cmd_models_preview import preview  # noqa: E402  (its own module: thumbnails for plug-ins)

models.add_command(preview)
