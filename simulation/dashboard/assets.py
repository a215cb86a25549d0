"""The Solara front-end files, cached on disk so that the dashboard works without the internet.

Solara's page loads its JavaScript and CSS (the Vuetify app, RequireJS, Font Awesome) from a
CDN, through a proxy in the Solara server that keeps every file it fetched in a cache directory
(``solara.server.settings.assets.proxy_cache_dir``, inside the virtual environment). A machine
without internet access gets an empty page unless that cache already holds the files. The CDN
serves npm packages, so the same files come from the npm registry: ``prepare()`` runs
``npm pack`` for each package the installed Solara's page template names and unpacks it where
the proxy looks. Run it as ``python -m simulation.dashboard.assets`` (``scripts/bootstrap.sh``
does, and ``ocsim dashboard`` does when files are missing).
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import tarfile
import tempfile
from dataclasses import dataclass
from pathlib import Path

_PACKAGE = re.compile(r"\{\{\s*cdn\s*\}\}/((?:@[\w.-]+/)?[\w.-]+)@([\w.+-]+)/([^\"'\s<>]*)")
"""A file the page template loads: ``{{cdn}}/name@version/path``."""
_COMPONENT_PACKAGE = re.compile(r"getCdn\(\)\}/((?:@[\w.-]+/)?[\w.-]+)@([\w.+-]+)/([^\"'`\s<>]*)")
"""A file a component loads when it is shown: ``${this.getCdn()}/name@version/path``."""
_COMPONENT_SOURCES = ("components", "widgets", "lab")


class AssetsError(RuntimeError):
    """The front-end files could not be prepared (no npm, no registry, a broken package)."""


@dataclass(frozen=True)
class NpmAsset:
    """One npm package the page loads files from, and the files it loads."""

    name: str
    version: str
    files: tuple[str, ...]

    @property
    def folder(self) -> str:
        """Its folder in the proxy cache: the CDN path ``name@version``."""
        return f"{self.name}@{self.version}"


def cache_dir() -> Path:
    """Where Solara's CDN proxy looks for files before it tries the internet: the folder named by
    ``SOLARA_ASSETS_PROXY_CACHE_DIR`` if set, else Solara's default inside the environment."""
    from solara.server import settings

    return Path(settings.assets.proxy_cache_dir)


def required() -> list[NpmAsset]:
    """The packages (and files) the installed Solara loads from the CDN.

    These are the page template's (it names both the Vue 2 and the Vue 3 front end; which one a
    page uses depends on the installed ipyvue) and those of components that load a library when
    shown (the draggable grid, charts, maths in Markdown).
    """
    import solara
    from solara.server import settings

    home = Path(solara.__file__).parent
    template = home / "server" / "templates" / "solara.html.j2"
    found: dict[tuple[str, str], set[str]] = {}
    for name, version, path in _PACKAGE.findall(template.read_text(encoding="utf-8")):
        found.setdefault((name, version), set()).add(path)
    if not found:
        raise AssetsError(f"no CDN package found in {template}; has Solara changed its page template?")
    for folder in _COMPONENT_SOURCES:
        for source in sorted((home / folder).rglob("*")):
            if source.suffix in (".vue", ".py", ".js") and source.is_file():
                for name, version, path in _COMPONENT_PACKAGE.findall(source.read_text(encoding="utf-8")):
                    found.setdefault((name, version), set()).add(path)
    if settings.assets.fontawesome_enabled:
        match = re.fullmatch(r"/?((?:@[\w.-]+/)?[\w.-]+)@([\w.+-]+)/(.+)", settings.assets.fontawesome_path)
        if match:
            found.setdefault((match[1], match[2]), set()).add(match[3])
    return [NpmAsset(name, version, tuple(sorted(files))) for (name, version), files in sorted(found.items())]


def _present(folder: Path, path: str) -> bool:
    """Whether the cache folder holds a file the template names; a path with a ``{{...}}`` part
    (e.g. the ipywidgets major version) counts when some file starts with its fixed prefix."""
    fixed = path.split("{{", 1)[0]
    if fixed == path:
        return (folder / path).is_file()
    return any(folder.glob(f"{fixed}*"))


def missing(root: Path | None = None) -> list[NpmAsset]:
    """The required packages not (or not wholly) in the cache."""
    root = cache_dir() if root is None else root
    return [
        asset
        for asset in required()
        if not (root / asset.folder / "package.json").is_file()
        or not all(_present(root / asset.folder, f) for f in asset.files)
    ]


def _npm() -> str:
    npm = shutil.which("npm")
    if npm is None:
        raise AssetsError(
            "npm is needed to fetch the dashboard's front-end files from the npm registry "
            "(Debian: apt-get install npm)"
        )
    return npm


def _unpack(tarball: Path, target: Path) -> None:
    """Unpack an npm tarball (files under ``package/``) into ``target``, replacing what was there."""
    staging = Path(tempfile.mkdtemp(prefix=".staging-", dir=target.parent))
    try:
        with tarfile.open(tarball) as archive:
            archive.extractall(staging, filter="data")
        unpacked = staging / "package"
        if not (unpacked / "package.json").is_file():
            raise AssetsError(f"{tarball.name} is not an npm package (no package/package.json)")
        if target.exists():
            shutil.rmtree(target)
        unpacked.rename(target)
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def _add_minified_names(folder: Path, files: tuple[str, ...]) -> None:
    """The CDN minifies on request (``x.min.js`` of a package that ships only ``x.js``); a copy of
    the plain file under the minified name serves the same code."""
    for path in files:
        stem, dot, suffix = path.rpartition(".")
        if "{{" in path or not stem.endswith(".min") or (folder / path).exists():
            continue
        plain = folder / f"{stem.removesuffix('.min')}{dot}{suffix}"
        if plain.is_file():
            shutil.copyfile(plain, folder / path)


def prepare(root: Path | None = None, log=print) -> list[NpmAsset]:
    """Fetch every missing package with ``npm pack`` and unpack it into the cache; returns them."""
    root = cache_dir() if root is None else root
    todo = missing(root)
    if not todo:
        return []
    npm = _npm()
    root.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="ocsim-npm-") as tmp:
        for asset in todo:
            spec = f"{asset.name}@{asset.version}"
            log(f"fetching {spec} from the npm registry")
            done = subprocess.run(
                [npm, "pack", spec, "--silent", "--pack-destination", tmp],
                capture_output=True,
                text=True,
                check=False,
            )
            if done.returncode != 0:
                raise AssetsError(f"npm pack {spec} failed: {done.stderr.strip() or done.stdout.strip()}")
            tarball = Path(tmp) / done.stdout.strip().splitlines()[-1]
            target = root / asset.folder
            target.parent.mkdir(parents=True, exist_ok=True)
            _unpack(tarball, target)
            _add_minified_names(target, asset.files)
    still = missing(root)
    if still:
        names = ", ".join(a.folder for a in still)
        raise AssetsError(f"files still missing after npm pack: {names}")
    return todo


def main() -> int:
    try:
        fetched = prepare()
    except AssetsError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    state = f"fetched {len(fetched)} package(s)" if fetched else "already complete"
    print(f"dashboard front-end files in {cache_dir()}: {state}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
