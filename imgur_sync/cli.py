"""The ``imgur-sync`` command line (the only module that imports click).

Exit codes (docs/ARCHITECTURE.md §Commands): 0 success, 1 error, 2 usage or config error,
3 finished with some items failed. A user error prints what is wrong and how to fix it,
never a traceback.
"""

from __future__ import annotations

import logging
import os
import sys
import threading
import time
import traceback
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from . import __version__
from . import sections as registry
from .errors import ExitCode, ImgurSyncError, UsageError
from .settings.sizes import format_size
from .terminal import escape, escape_lines, json_safe, on_journal, setup_logging, with_priority

if TYPE_CHECKING:
    from .settings.config import Config

log = logging.getLogger("imgur_sync")


class _Failure(click.ClickException):
    """An expected failure: one clear line on stderr and the exit code the module gives."""

    def __init__(self, message: str, exit_code: ExitCode) -> None:
        super().__init__(escape_lines(message))  # paths and server messages are data
        self.exit_code = exit_code

    def show(self, file: Any = None) -> None:
        _err(f"Error: {self.format_message()}")


class _Group(click.Group):
    """The command group that maps imgur-sync's errors to exit codes, in one place."""

    def invoke(self, ctx: click.Context) -> object:
        from .settings.config import ConfigError

        try:
            return super().invoke(ctx)
        except (ConfigError, UsageError) as exc:
            raise _Failure(str(exc), ExitCode.USAGE) from None
        except ImgurSyncError as exc:
            raise _Failure(str(exc), ExitCode.ERROR) from None
        except (click.ClickException, click.exceptions.Exit, click.Abort):
            raise
        except Exception as exc:  # a bug or a state nobody foresaw: a sentence, not a traceback
            log.debug("the unexpected error in full:", exc_info=True)
            raise _Failure(_unexpected(exc), ExitCode.ERROR) from None


def _unexpected(exc: Exception) -> str:
    """Describe an error nothing mapped: what and where, never its text (it may hold data)."""
    if isinstance(exc, OSError) and exc.strerror:  # the OS's words and the file are safe to show
        what = f"{exc.strerror}" + (f": {os.fsdecode(exc.filename)}" if exc.filename else "")
        return (f"imgur-sync stopped on a file system error ({what}); fix that and try again "
                "(-v shows where it happened)")
    package = Path(__file__).parent
    ours = [frame for frame in traceback.extract_tb(exc.__traceback__)
            if Path(frame.filename).is_relative_to(package)]
    where = ""
    if ours:  # the innermost line of ours: enough for a bug report, and no data
        name = Path(ours[-1].filename).relative_to(package.parent).as_posix()
        where = f" at {name} line {ours[-1].lineno}"
    return (f"imgur-sync stopped on an unexpected error ({type(exc).__name__}{where}); run the "
            "command again with -v to see the details, and please report it")


# The group's options, also accepted after the command (`imgur-sync pull -v`): each command
# takes them too, unexposed, and adds what it is given to the group's (see _Command).
_GLOBAL_OPTIONS: tuple[tuple[tuple[str, ...], dict[str, Any]], ...] = (
    (("--config", "config_path"),
     {"type": click.Path(dir_okay=False), "default": None,
      "help": "Config file (default: $IMGUR_SYNC_CONFIG, else the XDG config dir)."}),
    (("-v", "--verbose"), {"count": True,
                           "help": "More log output (DEBUG); -vv also the scheduler's."}),
    (("-q", "--quiet"), {"is_flag": True,
                         "help": "Print nothing on success: only warnings and errors."}),
    (("--log-file",), {"type": click.Path(dir_okay=False, path_type=Path), "default": None,
                       "metavar": "PATH",
                       "help": "Also append the log to PATH (INFO, DEBUG with -v; even with "
                               "-q)."}),
)


def _given_after(ctx: click.Context, param: click.Parameter, value: Any) -> None:
    """Merge a global option given after the command into the group's settings."""
    if value in (None, 0, False) or ctx.obj is None:
        return
    if param.name == "verbose":
        ctx.obj["verbose"] += value
    else:  # the later one on the command line wins
        ctx.obj[param.name] = value


class _Command(click.Command):
    """A command that also takes the global options, and sets up logging before it runs."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.params += [click.Option(decls, expose_value=False, callback=_given_after, **opts)
                        for decls, opts in _GLOBAL_OPTIONS]

    def invoke(self, ctx: click.Context) -> Any:
        options = ctx.obj or {}
        try:
            setup_logging(sys.stderr, verbose=options.get("verbose", 0),
                          quiet=options.get("quiet", False), log_file=options.get("log_file"))
        except OSError as exc:
            raise UsageError(f"cannot open the log file {options.get('log_file')} "
                             f"({exc.strerror}); give --log-file a file this user may "
                             "write") from None
        return super().invoke(ctx)


_Group.command_class = _Command
_Group.group_class = type  # `config` and its commands take the global options too


def _global(command: Any) -> Any:
    """Add the global options to the group itself (the config path also from the env)."""
    for decls, opts in reversed(_GLOBAL_OPTIONS):
        extra = {"envvar": "IMGUR_SYNC_CONFIG"} if "--config" in decls else {}
        command = click.option(*decls, **opts, **extra)(command)
    return command


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="imgur-sync")
@_global
@click.pass_context
def cli(ctx: click.Context, config_path: str | None, verbose: int, quiet: bool,
        log_file: Path | None) -> None:
    """Mirror an Imgur account to local disk and keep it in sync.

    Pulls albums, images, favorites and messages into a folder tree tracked in
    SQLite, and uploads files dropped into mapped folders.

    New here? `imgur-sync demo` tours everything on a built-in sandbox. With your
    own account: write a config (`imgur-sync config init`), then `imgur-sync auth`
    and `imgur-sync pull`. Exit codes: 0 done, 1 error, 2 usage or config error,
    3 finished but some items failed (`imgur-sync status` lists them), 4 `status
    --check` found a problem, 5 `run` stopped after too many failed pulls.
    """
    ctx.obj = {"config_path": config_path, "verbose": verbose, "quiet": quiet,
               "log_file": log_file}


@cli.command()
@click.option("--host", default="127.0.0.1", show_default=True,
              help="Address to listen on (keep it on loopback).")
@click.option("--port", type=click.IntRange(0, 65535), default=8765, show_default=True,
              help="Port to listen on; 0 picks a free one.")
@click.option("--scenario", type=click.Choice(["demo", "big", "hostile", "empty"]),
              default="demo", show_default=True,
              help="Account to serve: demo (small, real pictures), big (benchmarks), "
                   "hostile (titles that try to break file systems), empty.")
@click.option("--scale", type=click.IntRange(1, 1000), default=1, show_default=True,
              help="For big: scale×1000 images in scale×40 albums.")
@click.option("--seed", type=int, default=1, show_default=True,
              help="Same seed, same ids, titles, tokens and media.")
@click.option("--faults", default="", metavar="KIND=RATE,...",
              help="Inject failures, e.g. 'server_error=0.1,slow=0.05' or 'all=0.1'. Kinds: "
                   "server_error, rate_limit, over_capacity, malformed_json, html_503, "
                   "truncated_media, slow, token_expiry, library_agent.")
@click.option("--token-lifetime", type=click.IntRange(1), default=3600, show_default=True,
              help="Seconds an access token lives.")
@click.option("--no-legacy", is_flag=True,
              help="Answer 404 on the messaging routes, as today's Imgur does.")
@click.option("--enforce-rate-limits", is_flag=True,
              help="Answer 429 once the credits in the rate-limit headers run out.")
@click.option("--old-shapes", is_flag=True,
              help="Answer in the tidier shapes of the old docs instead of those recorded "
                   "from the real Imgur.")
@click.option("--oauth-authorize", type=click.Choice(["works", "broken"]), default="works",
              show_default=True,
              help="broken: the OAuth authorize page shows Imgur's \"Error (1024)\", as "
                   "since 2025.")
@click.option("--cookie-bearer", type=click.Choice(["refuse", "accept"]), default="refuse",
              show_default=True,
              help="Whether /3/ takes the browser's cookie token as a Bearer token.")
@click.option("--write-cookies", type=click.Path(dir_okay=False, path_type=Path),
              metavar="FILE", help="Write a browser cookies.txt for the account to FILE.")
def sandbox(host: str, port: int, scenario: str, scale: int, seed: int, faults: str,
            token_lifetime: int, no_legacy: bool, enforce_rate_limits: bool,
            old_shapes: bool, oauth_authorize: str, cookie_bearer: str,
            write_cookies: Path | None) -> None:
    """Run the local Imgur-compatible server and print the settings to use it.

    Point a config's [imgur] section at the printed api_url and credentials to try
    imgur-sync without touching a real account. Test control lives under
    /__sandbox__/ (state, counters, mutate/<op>, faults, options, clock). Ctrl-C stops it.
    """
    from .sandbox import FaultPlan, Sandbox, SandboxOptions, parse_fault_spec

    try:
        plan = FaultPlan(parse_fault_spec(faults), seed=seed)
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--faults") from None
    options = SandboxOptions(token_lifetime=token_lifetime, legacy_routes=not no_legacy,
                             enforce_rate_limits=enforce_rate_limits, old_shapes=old_shapes,
                             oauth_authorize=oauth_authorize, cookie_bearer=cookie_bearer)
    server = Sandbox(scenario, seed=seed, scale=scale, host=host, port=port, options=options,
                     faults=plan)
    try:
        server.bind()
    except OSError as exc:
        raise click.ClickException(
            f"cannot listen on {host}:{port} ({exc.strerror}); "
            "pick another port with --port, or --port 0 for any free one") from None
    click.echo(f"Imgur sandbox: scenario {scenario}, seed {seed}, listening on {server.url}")
    click.echo("Use these settings in your imgur-sync config:\n")
    click.echo("[imgur]")
    click.echo(f'api_url = "{server.url}"')
    click.echo(f'client_id = "{server.client_id}"')
    click.echo(f'client_secret = "{server.client_secret}"')
    click.echo(f'refresh_token = "{server.refresh_token}"')
    if write_cookies is not None:
        try:
            server.write_cookies(write_cookies)
        except OSError as exc:
            raise click.ClickException(
                f"cannot write the cookies file {write_cookies} ({exc.strerror}); "
                "pick a writable path with --write-cookies") from None
        click.echo(f"\nBrowser cookies for {server.username} written to {write_cookies} "
                   f"(web client id {server.web_client_id}).")
    click.echo(f"\nAccount: {server.username}. Test control: {server.url}/__sandbox__/state")
    click.echo("Press Ctrl-C to stop.", err=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        click.echo("Sandbox stopped.", err=True)


@cli.group("config")
def config_group() -> None:
    """Write or check the config file (`config init` writes one with every key explained)."""


@config_group.command("init")
@click.argument("path", required=False, type=click.Path(dir_okay=False, path_type=Path))
@click.option("--force", is_flag=True, help="Overwrite the file if it exists.")
@click.pass_context
def config_init(ctx: click.Context, path: Path | None, force: bool) -> None:
    """Write the example config, every key commented, to PATH.

    PATH defaults to the file commands read: --config, else $IMGUR_SYNC_CONFIG, else
    ~/.config/imgur-sync/config.toml. An existing file is left alone unless --force.
    The file is made readable by its owner only: it may hold secrets later.
    """
    from .paths import config_path
    from .settings.bundled import example_config
    from .settings.places import unwritable

    target = path if path is not None else config_path(ctx.obj["config_path"])
    if not force and (target.exists() or target.is_symlink()):
        raise UsageError(f"{target} exists already; give --force to overwrite it, or "
                         "another PATH")
    problem = unwritable(target.parent)
    if problem is not None:
        raise UsageError(f"Cannot write {target}: its folder {problem}; give a PATH this "
                         "user may write")
    flags = os.O_WRONLY | os.O_CREAT | (os.O_TRUNC if force else os.O_EXCL)
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(target, flags, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as file:
            file.write(example_config())
    except OSError as exc:
        raise UsageError(f"Cannot write {target} ({exc.strerror}); give a PATH this user "
                         "may write") from None
    click.echo(escape(f"Wrote the example config to {target}; edit it (at least [mirror] "
                      "root), then run `imgur-sync config check`."))


@config_group.command("check")
@click.pass_context
def config_check(ctx: click.Context) -> None:
    """Validate the config and print the resolved settings, secrets masked.

    Reads the file chosen by --config (else $IMGUR_SYNC_CONFIG, else the XDG config
    dir), fills in defaults and the IMGUR_* secret variables, and prints the result as
    TOML. Exits 0 when valid; otherwise lists every problem with its fix and exits 2.
    """
    from .paths import state_dir
    from .settings.places import check_places, require_drop_folders

    config = _load_config(ctx)
    check_places(config, state_dir())  # what every command that works on the mirror checks
    require_drop_folders(config)
    click.echo(config.masked(), nl=False)


@cli.group("systemd")
def systemd_group() -> None:
    """Print the systemd units that ship with imgur-sync."""


@systemd_group.command("print")
@click.option("--user", is_flag=True,
              help="A user unit (systemctl --user, no root) instead of a system one.")
@click.argument("unit", required=False)
def systemd_print(user: bool, unit: str | None) -> None:
    """Print UNIT (default imgur-sync.service) with ExecStart= set to this imgur-sync.

    System units: imgur-sync.service (the service), imgur-sync@.service (one per
    account), imgur-sync-pull.service and .timer (a pull on a timer). Each file's
    header has its install steps, e.g.
    `imgur-sync systemd print | sudo tee /etc/systemd/system/imgur-sync.service`.
    """
    from .settings.bundled import hidden_from_system_units, installed_command, unit_names, unit_text

    name, command = unit or "imgur-sync.service", installed_command()
    try:
        text = unit_text(name, user=user, command=command)
    except LookupError:
        kind = "user" if user else "system"
        raise click.BadParameter(f"{name!r} is not one of the {kind} units: "
                                 f"{', '.join(unit_names(user))}", param_hint="UNIT") from None
    click.echo(text, nl=False)
    if not user and "\nExecStart=" in text and hidden_from_system_units(command):
        click.echo(escape(f"Warning: ExecStart={command} lies in a home folder, which the "
                          "system unit hides (ProtectHome=yes); install imgur-sync for the "
                          "whole system (`sudo pipx install --global`, or `sudo pip install`) "
                          "and print the unit again, or use --user"), err=True)


@cli.command()
@click.option("--pin", "flow", flag_value="pin",
              help="Use Imgur's PIN flow: the page shows a PIN to type here.")
@click.option("--code", "flow", flag_value="code",
              help="Use the code flow: paste the address (or code) Imgur redirects to.")
@click.option("--refresh-token", metavar="TOKEN", default=None,
              help="Sign in with a refresh token you already have (no browser); "
                   "'-' reads it from standard input.")
@click.option("--cookies", "cookies", metavar="FILE", default=None,
              type=click.Path(dir_okay=False, path_type=Path),
              help="Sign in with the accesstoken cookie of a browser signed in to imgur.com, "
                   "from a Netscape cookies.txt export.")
@click.option("--access-token", metavar="-", default=None,
              help="Sign in with the accesstoken cookie's value, read from standard input "
                   "(give '-').")
@click.option("--status", is_flag=True, help="Show who is signed in and when the token expires.")
@click.option("--no-browser", is_flag=True, help="Print the address instead of opening it.")
@click.pass_context
def auth(ctx: click.Context, flow: str | None, refresh_token: str | None, cookies: Path | None,
         access_token: str | None, status: bool, no_browser: bool) -> None:
    """Sign in to Imgur and store the tokens (mode 0600) in the state directory.

    By default prints (and opens) Imgur's authorization page; after you allow access,
    paste the address your browser lands on. --pin and --code use Imgur's older flows;
    --refresh-token skips the browser. Other commands then refresh the access token
    by themselves. --cookies FILE (or --access-token - on standard input) signs in with
    the browser's session cookie instead, the road that works since Imgur's OAuth page
    broke in 2025. --status shows the stored sign-in without printing any token.
    """
    import time

    from .account.signin import (
        OAUTH_BROKEN,
        describe_tokens,
        new_state,
        oauth_page_broken,
        sign_in,
        sign_in_cookie,
        sign_in_url,
    )
    from .account.tokens import TokenStore
    from .paths import state_dir
    from .settings.places import check_places

    store = TokenStore(state_dir())
    if status:
        for line in describe_tokens(store.load(), store, time.time()):
            click.echo(escape(line))
        return
    config = _load_config(ctx)
    check_places(config, state_dir())  # refused now, not after the browser's round trip
    if cookies is not None or access_token is not None:
        tokens = sign_in_cookie(config, store, *_cookie_token(cookies, access_token))
        click.echo(escape(f"Signed in with the browser's cookie as "
                          f"{tokens.account_username or 'the account'}; saved to {store.path}"))
        return
    if not config.imgur.client_secret:  # say so now, not after the user has clicked through
        raise UsageError(f"Signing in with OAuth needs your application's client_secret (add "
                         f"it to the [imgur] section of {config.path} or set "
                         "IMGUR_CLIENT_SECRET); without an application, sign in with your "
                         "browser's cookies: `imgur-sync auth --cookies FILE`")
    if refresh_token is not None:
        if refresh_token == "-":  # keeps the token out of `ps` and the shell history
            refresh_token = click.prompt("Refresh token", hide_input=sys.stdin.isatty())
        tokens = sign_in(config, store, "refresh_token", refresh_token)
    else:
        flow = flow or "token"
        state = new_state() if flow != "pin" else ""
        url = sign_in_url(config, flow, state)
        if oauth_page_broken(url):  # no use sending the user to a page that cannot work
            raise UsageError(OAUTH_BROKEN)
        click.echo("Open this address, sign in to Imgur and allow access:\n")
        click.echo(f"  {url}\n")
        if not no_browser and sys.stdin.isatty():
            import webbrowser

            webbrowser.open(url)
        question = {"token": "Paste the address your browser shows after allowing access",
                    "pin": "Type the PIN Imgur shows",
                    "code": "Paste the address your browser shows (or just its code)"}[flow]
        # Hidden when typed at a terminal: the pasted address carries the tokens.
        answer = click.prompt(question, prompt_suffix=": ",
                              hide_input=flow != "pin" and sys.stdin.isatty())
        tokens = sign_in(config, store, flow, answer, state=state)
    click.echo(escape(f"Signed in as {tokens.account_username or 'the account'}; "
                      f"tokens saved to {store.path}"))


def _cookie_token(cookies: Path | None, access_token: str | None) -> tuple[str, str]:
    """Return the cookie's value and where it came from, from the file or standard input."""
    from .account.cookies import FRESH_COOKIES, check_token_text, read_cookie_file

    if cookies is not None and access_token is not None:
        raise UsageError("Give --cookies FILE or --access-token -, not both")
    if cookies is not None:
        return read_cookie_file(cookies), str(cookies)
    if access_token != "-":  # a value in argv shows in `ps` and the shell history
        raise UsageError("Give --access-token - and type or pipe the cookie's value on "
                         "standard input, so it never shows in the process list")
    value = click.prompt("accesstoken cookie", hide_input=sys.stdin.isatty(), default="",
                         show_default=False)
    return check_token_text(value, "That is not an accesstoken cookie value; copy the "
                                   f"accesstoken cookie again ({FRESH_COOKIES})"), "stdin"


@cli.command()
@click.option("--full", is_flag=True,
              help="Reconcile the whole account now, not a slice a pull (retitles, "
                   "membership changes, deletions, each confirmed before anything is marked "
                   "removed); says first what it costs and what the credit budget has left.")
@click.option("--dry-run", is_flag=True, help="Print what would change; change nothing.")
@click.option("--only", metavar="SECTIONS", default=None,
              help="Comma-separated subset of: " + "; ".join(
                  f"{s.name} ({s.description})" for s in registry.sections())
                   + " (default: [mirror] include).")
@click.option("--json", "as_json", is_flag=True,
              help="Print what was done (or, with --dry-run, planned) as JSON (docs/JSON.md).")
@click.pass_context
def pull(ctx: click.Context, full: bool, dry_run: bool, only: str | None,
         as_json: bool) -> None:
    """Mirror the account into the folder tree once, then exit.

    Quick by default: a few requests when nothing changed, plus the next slice of the
    rolling reconcile ([schedule] reconcile_every). Files already saved are never
    deleted; items Imgur removed stay on disk and are marked removed. Exit code 3 means
    the pull finished but some items failed (see `imgur-sync status`).
    """
    from .mirror.pull import Mirror
    from .workspace import Workspace

    config = _load_config(ctx)
    sections = None
    if only is not None:
        sections = frozenset(part.strip() for part in only.split(",") if part.strip())
        unknown = sections - set(registry.names())
        if unknown or not sections:
            bad = ", ".join(sorted(unknown)) or "nothing"
            raise click.BadParameter(f"unknown section(s) {bad}; use some of "
                                     f"{', '.join(registry.names())}", param_hint="--only")
    with Workspace(config, purpose="pull") as ws, _Progress() as progress:
        mirror = Mirror(config, ws.store, ws.client.transport, progress=progress.update)
        if full and not as_json:
            _say(ctx, _full_pull_cost(mirror.full_pull_cost(), ws.ledger))
        if dry_run:
            result = mirror.pull(full=full, dry_run=True, only=sections)
        else:  # a real pull pings, tells on_failure and writes the metrics ([alerts])
            from .alerts import Alerts

            result = Alerts(config, ws.store, ws.state_dir).around(
                "full" if full else "quick", lambda: mirror.pull(full=full, only=sections))
    if as_json:
        from .mirror.reports import dry_run_json, pull_json

        _echo_json((dry_run_json if dry_run else pull_json)(result, config.mirror.root))
    elif dry_run:
        for action in result.actions:
            click.echo(escape(action.describe()))
        click.echo(f"{len(result.actions)} change(s) planned; dry run: nothing was changed "
                   f"({result.requests} API requests made to look).")
    else:
        _pull_summary(ctx, config, result)
    if result.problems and not dry_run:
        for problem in result.problems[:10]:
            _err(f"  failed: {escape(problem)}")
        more = len(result.problems) - 10
        _err((f"  … and {more} more. " if more > 0 else "  ") +
             "They are retried on the next pull; `imgur-sync status` lists them.")
        ctx.exit(ExitCode.PARTIAL)


def _full_pull_cost(cost: int, ledger: Any) -> str:
    """One line before a full pull: what it costs, and what the credit ledger says is left."""
    line = f"A full pull reads every listing: about {cost} API requests; "
    left, reset = ledger.reads_left(time.time()) if ledger is not None else (None, None)
    if left is None:
        return line + "the credit ledger has no figures for today yet."
    when = (f" until {datetime.fromtimestamp(reset, timezone.utc):%H:%M} UTC"
            if reset is not None else "")
    short = (" It stops there and carries on after the reset." if left < cost else "")
    return line + f"this account may read {left} more today{when} ([budget]).{short}"


def _pull_summary(ctx: click.Context, config: Config, result: Any) -> None:
    """Say what a pull did, in a few lines (none with -q)."""
    done = result.applied.done
    labels = {"download": "downloaded", "link": "linked", "write": "transcripts written",
              "rename": "renamed", "unlink": "stale links removed", "trash": "moved to .trash"}
    parts = [f"{done[kind]} {label}" for kind, label in labels.items() if done.get(kind)]
    parts = parts or ["nothing to change"]
    _say(ctx, f"{result.kind.capitalize()} pull of {escape(config.mirror.root)}: "
              f"{', '.join(parts)}; "
              f"{format_size(result.applied.downloaded_bytes)} downloaded, "
              f"{result.requests} API requests.")
    if result.removed:
        _say(ctx, f"{result.removed} item(s) are gone from Imgur; their copies are kept.")
    if result.applied.media_removed:
        _say(ctx, f"{len(result.applied.media_removed)} image(s) were removed by Imgur before "
                  "they could be saved (Imgur serves removed.png for them).")
    if result.messages_available is False:
        _say(ctx, "Messages: Imgur no longer serves its messaging API; skipped.")
    for reason in result.unavailable.values():
        _say(ctx, escape(reason) + ".")


@cli.command("import")
@click.argument("zip_path", metavar="ZIP", type=click.Path(path_type=Path))
@click.option("--dry-run", is_flag=True,
              help="Read the listing and the zip and say what would be placed; change nothing.")
@click.pass_context
def import_command(ctx: click.Context, zip_path: Path, dry_run: bool) -> None:
    """Place the files of Imgur's official export (ZIP) into the mirror, as if pulled.

    ZIP is what "Download account images" in Imgur's account settings gives: one flat zip
    of files named like "1 - TzIN9Qm.png". The account's listing is fetched first (as a
    quick pull does); then each file goes where a pull would download it, with its album
    links, records and upload time, so the next pull downloads none of them. A file whose
    size differs from Imgur's is left for the pull to download; an image the account no
    longer has is kept in images/ and marked removed; members not named like the export
    are skipped and listed. Exit code 3 when some files could not be placed.
    """
    from .mirror.importing import import_export
    from .mirror.pull import Mirror
    from .workspace import Workspace

    config = _load_config(ctx)
    with Workspace(config, purpose="import") as ws, _Progress() as progress:
        mirror = Mirror(config, ws.store, ws.client.transport, progress=progress.update)
        result = import_export(mirror, zip_path, dry_run=dry_run)
    for name, reason in result.skipped:
        _err(escape(f"  skipped {name!r}: {reason}"))
    verb = "would place" if dry_run else "placed"
    _say(ctx, escape(
        f"Import of {zip_path} into {config.mirror.root}: {verb} {len(result.placed)} "
        f"image(s) where the pull puts them ({result.applied.done.get('link', 0)} album "
        f"links); {len(result.kept)} no longer on the account, kept in images/ and marked "
        f"removed; {len(result.wrong_size)} of another size than Imgur's, left for the next "
        f"pull; {len(result.present)} already mirrored; {len(result.skipped)} skipped; "
        f"{result.requests} API requests."))
    if dry_run:
        _say(ctx, "Dry run: nothing was changed.")
    failures = result.applied.failures
    for path, reason in failures[:10]:
        _err(f"  failed: {escape(path)}: {escape(reason)}")
    if failures or result.skipped:
        ctx.exit(ExitCode.PARTIAL)


_create_folders = click.option(
    "--create-folders", is_flag=True,
    help="Make the [[upload]] folders that do not exist (without it they are an error).")


@cli.command()
@_create_folders
@click.option("--confirm-deletions", is_flag=True,
              help="Apply on_local_delete also to a folder that is missing or lost all its "
                   "uploaded files at once (held back otherwise, as an unmounted share).")
@click.option("--json", "as_json", is_flag=True,
              help="Print what was uploaded as JSON (docs/JSON.md).")
@click.pass_context
def push(ctx: click.Context, create_folders: bool, confirm_deletions: bool,
         as_json: bool) -> None:
    """Upload what is waiting in the [[upload]] folders once, then exit.

    New files go to their folder's album (created when missing); bytes uploaded before
    are added to the album instead of uploaded again; deletions since the last run get
    their on_local_delete. Exit code 3 when some files could not be uploaded.
    """
    from .dropfolders.folders import DropFolders
    from .workspace import Workspace

    config = _require_uploads(_load_config(ctx))
    with Workspace(config, purpose="push") as ws:
        _drop_folders_ready(config, ws, create_folders)
        batch = DropFolders(config, ws.store, ws.client,
                            confirm_deletions=confirm_deletions).push()
        counts = ws.store.counts()
    waiting = sum(counts[f"uploads_{state}"] for state in ("pending", "uploading", "failed"))
    if as_json:  # docs/JSON.md
        _echo_json({"uploaded": [{"id": image_id, "path": str(path)}
                                 for image_id, path in batch.uploaded.items()],
                    "linked": batch.linked, "waiting": waiting,
                    "not_uploaded": [{"path": path, "reason": reason}
                                     for path, reason in batch.bad]})
    else:
        _say(ctx, f"Uploaded {len(batch.uploaded)} file(s); {batch.linked} added to another "
                  f"album without uploading again; {waiting} waiting for a retry.")
    for path, reason in batch.bad:
        _err(f"  not uploaded: {escape(path)}: {escape(reason)}")
    if batch.bad:
        ctx.exit(ExitCode.PARTIAL)


@cli.command()
@_create_folders
@click.pass_context
def watch(ctx: click.Context, create_folders: bool) -> None:
    """Watch the [[upload]] folders in the foreground and upload new files (Ctrl-C stops).

    Like `run` without scheduled pulls: files dropped into a mapped folder land in its
    album a moment after they are written.
    """
    import signal
    import threading

    from .dropfolders.folders import DropFolders
    from .workspace import Workspace

    config = _require_uploads(_load_config(ctx))
    stop = threading.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: stop.set())
    with Workspace(config, purpose="watch") as ws:
        _drop_folders_ready(config, ws, create_folders)
        folders = DropFolders(config, ws.store, ws.client)
        if not ctx.obj.get("quiet"):
            click.echo("Watching " + ", ".join(escape(u.path) for u in config.uploads),
                       err=True)

        def report(batch: Any) -> None:
            for image_id, path in batch.uploaded.items():
                _say(ctx, f"uploaded {escape(path)} as {escape(image_id)}")
            for path, reason in batch.bad:
                _err(f"not uploaded: {escape(path)}: {escape(reason)}")

        folders.watch(stop, on_batch=report)
    if not ctx.obj.get("quiet"):
        click.echo("Stopped; nothing queued was lost.", err=True)


@cli.command()
@_create_folders
@click.pass_context
def run(ctx: click.Context, create_folders: bool) -> None:
    """Run as a service: scheduled pulls plus the drop-folder watcher, until SIGTERM.

    Quick pulls every [schedule] pull_every (and once at start), each with a slice of
    the rolling reconcile, which covers the account every reconcile_every. Speaks
    systemd's notify protocol (READY, WATCHDOG, STATUS, STOPPING) when started by systemd
    with Type=notify; `imgur-sync systemd print`.
    Exits with code 5 after [alerts] exit_after_failures failed pulls in a row, so that
    systemd's OnFailure= can tell someone.
    """
    from .account.checks import require_user
    from .daemon import Daemon
    from .workspace import Workspace

    config = _load_config(ctx)
    with Workspace(config, purpose="run") as ws:
        _drop_folders_ready(config, ws, create_folders)
        require_user(ws.client.transport)  # refuse now, not on every scheduled pull
        code = Daemon(config, ws).run()
    ctx.exit(code)


@cli.command()
@click.argument("folder", required=False, default="imgur-sync-demo",
                type=click.Path(file_okay=False, path_type=Path))
def demo(folder: Path) -> None:
    """Take the tour on a built-in sandbox account: no Imgur account needed.

    Starts a local Imgur-compatible server with a small demo account, writes a config
    into FOLDER (default ./imgur-sync-demo), pulls the account into FOLDER/mirror with
    progress, drops a picture into the mapped folder FOLDER/drop and waits until it lands
    in its album, then shows the result. Running it again replaces the previous demo.
    """
    from .demo import DROP_ALBUM, run_demo
    from .status import collect_status, render_status

    package_log = logging.getLogger("imgur_sync")
    if logging.getLogger().level == logging.INFO:  # the tour narrates itself; -v shows more
        package_log.setLevel(logging.WARNING)
    with _Progress() as progress:
        report = run_demo(folder, progress=progress.update,
                          step=lambda message: click.echo(f"· {escape(message)}"))
    done = report.pull.applied.done
    click.echo(f"· Pulled {done.get('download', 0)} images "
               f"({format_size(report.pull.applied.downloaded_bytes)}), "
               f"{done.get('link', 0)} album and favorite links, "
               f"{done.get('write', 0)} message transcripts, in {report.pull.requests} API "
               "requests")
    click.echo(f"· The dropped picture is on Imgur as {report.uploaded_id}, in the album "
               f"{DROP_ALBUM!r}, {report.upload_seconds:.2f} s after it was saved\n")
    root = report.config.mirror.root
    click.echo(f"The mirror ({root}):")
    for line in _tree(root):
        click.echo(f"  {escape(line)}")
    click.echo("")
    state = report.folder / "state"
    click.echo(render_status(collect_status(report.config, state)))
    click.echo("\nWhere to look:")
    click.echo(f"  {root}   the folder tree: images/, albums/, favorites/, messages/")
    if report.config.mirror.gallery:
        click.echo(f"  {(root / 'index.html').as_uri()}   the offline gallery: open it in a "
                   "browser")
    click.echo(f"  {state / 'imgur-sync.db'}   the state, e.g. "
               f"sqlite3 {state / 'imgur-sync.db'} 'select title from images'")
    click.echo(f"  {report.config.path}   the config the demo used")
    click.echo("To use your own account, see 'Use it with your Imgur account' in README.md.")


def _tree(root: Path, per_folder: int = 4) -> list[str]:
    """Return an indented listing of ``root``, showing a few files per folder."""
    lines: list[str] = []
    for folder, dirs, files in sorted(os.walk(root)):
        dirs.sort()
        depth = len(Path(folder).relative_to(root).parts)
        if depth:
            lines.append("  " * (depth - 1) + Path(folder).name + "/")
        names = sorted(files)
        lines += ["  " * depth + name for name in names[:per_folder]]
        if len(names) > per_folder:
            lines.append("  " * depth + f"… and {len(names) - per_folder} more")
    return lines


def _drop_folders_ready(config: Config, ws: Any, create: bool) -> None:
    """Refuse drop folders that are not there (exit code 2) before any album is made."""
    from .settings.places import require_drop_folders

    uploaded = [Path(row["path"]) for row in ws.store.iter_uploads(state="done")]
    require_drop_folders(config, uploaded_from=uploaded, create=create)


def _require_uploads(config: Config) -> Config:
    if not config.uploads:
        raise UsageError(f"{config.path} has no [[upload]] folders; add one (see "
                         "`imgur-sync config init`) to use drop folders")
    return config


class _Progress:
    """A progress bar for downloads on a terminal; elsewhere (journald, cron, -v) a log line
    every so many files or seconds."""

    def __init__(self) -> None:
        from .mirror.progress import ProgressLog

        self.enabled = sys.stderr.isatty() and logging.getLogger().level > logging.DEBUG
        self.logged = ProgressLog()
        self.bar: Any = None
        self.planned = self.downloaded = 0  # over all the batches the pull planned so far
        # Downloads report from several threads; click's bar counts a step twice when two
        # updates interleave (it showed 1642 of 1290).
        self._lock = threading.Lock()

    def __enter__(self) -> _Progress:
        if not self.enabled:  # on a terminal the bar tells it; lines would break it up
            self.logged.__enter__()
        return self

    def update(self, kind: str, n: int) -> None:
        if not self.enabled:
            self.logged.update(kind, n)
            return
        with self._lock:
            self._update(kind, n)

    def _update(self, kind: str, n: int) -> None:
        if kind == "planned":
            self.planned += n
        if kind == "planned" and n and self.bar is not None:
            self.bar.length += n  # the pull plans a batch at a time: the next one's downloads
        elif kind == "planned" and n:  # the first batch, or one after the bar finished
            self.bar = click.progressbar(length=self.planned, label="Downloading",
                                         file=sys.stderr, show_pos=True, show_eta=True)
            self.bar.__enter__()
            self.bar.update(self.downloaded)  # where the batches before it left off
        elif kind == "download" and self.bar is not None:
            self.bar.update(n)
            self.downloaded += n
            if self.bar.pos >= self.bar.length:  # done: end the line before what follows
                self.bar.__exit__(None, None, None)
                self.bar = None

    def __exit__(self, *exc: object) -> None:
        self.logged.__exit__()
        if self.bar is not None:
            self.bar.__exit__(None, None, None)


@cli.command("status")
@click.option("--json", "as_json", is_flag=True, help="Print the status as JSON.")
@click.option("--check", is_flag=True,
              help="Print only the problems, one a line, and exit 4 if there is one.")
@click.pass_context
def status_command(ctx: click.Context, as_json: bool, check: bool) -> None:
    """Show the account, counts, last runs, upload queue, failures and credits.

    Reads the state database without taking the lock, so it works beside a running
    daemon. Never prints a token or secret. --check is for monitoring: exit code 4 when
    the last pull failed, no pull succeeded within [alerts] stale_after, an upload waits
    longer than [schedule] stuck_after, or Imgur refuses the sign-in ("check" in --json).
    """
    from .paths import state_dir
    from .status import collect_status, render_status

    status = collect_status(_load_config(ctx), state_dir())
    problems = status["check"]["problems"]
    if as_json:
        _echo_json(status)
    elif not check:
        click.echo(render_status(status), nl=False)
    elif problems:
        for problem in problems:
            click.echo(escape(f"imgur-sync: {problem}"))
    else:
        _say(ctx, "imgur-sync: healthy")  # -q: nothing to say when all is well
    if check and problems:
        ctx.exit(ExitCode.UNHEALTHY)


@cli.command("verify")
@click.option("--repair", is_flag=True,
              help="Restore missing or corrupt files: from a good copy on disk, else by "
                   "downloading them again. Media Imgur removed is never saved over a file.")
@click.option("--json", "as_json", is_flag=True,
              help="Print what was checked and found as JSON (docs/JSON.md).")
@click.pass_context
def verify_command(ctx: click.Context, repair: bool, as_json: bool) -> None:
    """Re-hash the mirrored files against the database.

    Reports files that are missing or whose size or sha256 differ from what was
    recorded, album and favorite links included. Exit code 3 when problems remain
    (listed by `imgur-sync status`).
    """
    from .mirror.pull import Mirror
    from .mirror.sidecars import write_metadata
    from .mirror.verify import verify
    from .workspace import Workspace

    config = _load_config(ctx)
    with Workspace(config, purpose="verify") as ws:
        report = verify(config.mirror.root, ws.store, repair=repair,
                        transport=ws.client.transport, links=config.mirror.album_links,
                        concurrency=config.mirror.concurrency)
        # The metadata beside the files, made again where it went missing or stale.
        unwritten = write_metadata(ws.store, config.mirror) if repair else []
        for path, reason in unwritten:
            ws.store.add_failure("verify", path, reason)
        if repair:  # what was restored shows in the gallery again
            Mirror(config, ws.store, ws.client.transport).refresh_gallery()
    if as_json:
        from .mirror.reports import verify_json

        _echo_json(verify_json(report))
    else:
        size = report.downloaded_bytes
        downloaded = f" ({format_size(size)} downloaded)" if size else ""
        _say(ctx, f"{report.summary()}{downloaded}.")
    remaining = report.remaining
    for problem in remaining[:10]:
        _err(f"  {escape(report.describe(problem))}")
    for path, reason in unwritten[:10]:
        _err(f"  {escape(path)}: {escape(reason)}")
    if unwritten and not remaining:
        ctx.exit(ExitCode.PARTIAL)
    if remaining:
        more = f"  … and {len(remaining) - 10} more. " if len(remaining) > 10 else "  "
        hint = "" if repair else "`imgur-sync verify --repair` restores them; "
        _err(f"{more}{hint}`imgur-sync status` lists them.")
        ctx.exit(ExitCode.PARTIAL)


@cli.command("datasette", context_settings={"ignore_unknown_options": True})
@click.argument("datasette_args", nargs=-1, type=click.UNPROCESSED)
@click.pass_context
def datasette_command(ctx: click.Context, datasette_args: tuple[str, ...]) -> None:
    """Browse the account's database in Datasette, read-only.

    Opens the database with imgur-sync's titles, labels, facets and message search.
    Other options go to `datasette serve` (e.g. --port 8002, --open). Needs the
    optional extra: pip install 'imgur-sync[datasette]'.
    """
    try:
        from datasette.cli import cli as datasette_cli
    except ImportError:
        raise _Failure("Datasette is not installed; install it with "
                       "pip install 'imgur-sync[datasette]'", ExitCode.USAGE) from None
    from importlib.resources import as_file, files

    from .paths import database_path, state_dir
    from .store import Store, StoreError

    _load_config(ctx)  # the same account as every other command, and a config that loads
    db = database_path(state_dir())
    if not Store.exists(db):
        raise StoreError(f"no state database at {db}: run `imgur-sync pull` to create it")
    with Store(db):  # brings an older database's views and search up to date, then closes
        pass
    # Not Datasette's immutable mode (-i): it would ignore the WAL and cache counts while the
    # daemon writes. A plain file is opened with SQLite's mode=ro, which sees every commit.
    with as_file(files("imgur_sync.store") / "datasette-metadata.json") as metadata:
        datasette_cli.main(["serve", str(db), "--metadata", str(metadata), *datasette_args],
                           prog_name="imgur-sync datasette", standalone_mode=False)


def _err(message: str) -> None:
    """Print an error line on stderr; under journald marked ``<3>``, so ``journalctl -p err``
    finds it with the logged errors."""
    click.echo(with_priority(message, logging.ERROR) if on_journal(sys.stderr) else message,
               err=True)


def _say(ctx: click.Context, message: str) -> None:
    """Print a line of a success summary on stdout: nothing with -q, so cron mails nothing."""
    if not (ctx.obj or {}).get("quiet"):
        click.echo(message)


def _echo_json(data: object) -> None:
    """Print ``data`` as JSON on stdout (the log stays on stderr)."""
    import json

    click.echo(json_safe(json.dumps(data, indent=2, ensure_ascii=False)))


@cli.command("gallery")
@click.pass_context
def gallery_command(ctx: click.Context) -> None:
    """Rebuild the offline gallery (index.html in the mirror) from the state database.

    Every pull keeps it current; this writes it on demand, e.g. after `[mirror] gallery`
    was off, and downloads the thumbnails it still lacks (media, no API credits).
    """
    from .mirror.gallery import INDEX
    from .mirror.pull import Mirror
    from .workspace import Workspace

    config = _load_config(ctx)
    if not config.mirror.gallery:
        raise UsageError(f"[mirror] gallery is false in {config.path}; set it to true to "
                         "keep a gallery in the mirror")
    with Workspace(config, purpose="gallery") as ws:
        built = Mirror(config, ws.store, ws.client.transport).refresh_gallery(
            thumbnails=True, retry=True)
    if built is None:
        raise ImgurSyncError("The gallery could not be written; `imgur-sync status` says why")
    index = config.mirror.root / INDEX
    _say(ctx, f"Gallery: {built.written} file(s) written, {built.unchanged} unchanged, "
              f"{built.thumbnails} thumbnail(s) downloaded. Open {escape(index.as_uri())}")


def _load_config(ctx: click.Context) -> Config:
    """Load the config chosen by --config; problems become exit code 2 via _Group."""
    from .paths import config_path
    from .settings.config import load_config

    return load_config(config_path(ctx.obj["config_path"]))


def main() -> None:
    """Console-script entry point."""
    cli(prog_name="imgur-sync")
