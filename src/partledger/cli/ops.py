"""Operations commands: compile, local chain, deploy, serve."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from partledger.chain.compiler import compile_contracts, stale_artifacts, write_artifacts
from partledger.chain.local import LocalChain
from partledger.cli.app import app, group
from partledger.cli.common import console, err, guarded, resolve_address, say
from partledger.config import Settings
from partledger.errors import PartLedgerError
from partledger.runtime import local_chain

chain_app = group("The embedded local chain (anvil); its port: PARTLEDGER_CHAIN_PORT.")
app.add_typer(chain_app, name="chain")
CHAIN_PORT_HELP = (
    "Port to listen on (default: PARTLEDGER_CHAIN_PORT; unset, 8545 or, when another program "
    "holds 8545, a free port remembered in the data directory)."
)


def _fail(exc: Exception) -> typer.Exit:
    err.print(f"[bold red]error:[/] {exc}")
    return typer.Exit(code=1)


@app.command("compile")
def compile_cmd(
    check: Annotated[bool, typer.Option(help="Only compare with the committed artifacts.")] = False,
    solc: Annotated[
        Path | None, typer.Option(metavar="PATH", help="A native solc of the pinned version.")
    ] = None,
) -> None:
    """Compile contracts/ into the package's artifacts (or check they are fresh)."""
    try:
        compiled = compile_contracts(solc_binary=solc)
    except PartLedgerError as exc:
        raise _fail(exc) from exc
    if check:
        stale = stale_artifacts(compiled)
        if stale:
            err.print(f"[red]stale artifacts:[/] {', '.join(stale)} (run `partledger compile`)")
            raise typer.Exit(code=1)
        console.print(f"{len(compiled)} artifacts are up to date")
        return
    for path in write_artifacts(compiled):
        console.print(f"wrote {path}")


def _local_chain(settings: Settings, port: int | None = None) -> LocalChain:
    return local_chain(settings, port)


def port_note(chain: LocalChain) -> None:
    """Say so when the chain did not get its preferred port (on stderr: output stays clean)."""
    if chain.moved_from is not None:
        err.print(
            f"port {chain.moved_from} is held by another program: this data directory's chain "
            f"listens on {chain.rpc_url} (remembered in {chain.port_file})",
            soft_wrap=True,
        )


@chain_app.command("up")
def chain_up(
    port: Annotated[
        int | None, typer.Option(metavar="PORT", min=1, max=65535, help=CHAIN_PORT_HELP)
    ] = None,
) -> None:
    """Start the local chain in the background (state kept in the data directory)."""
    settings = Settings()
    with guarded():
        chain = _local_chain(settings, port).start(detached=True)
    port_note(chain)
    say(f"local chain running at {chain.rpc_url} (state in {settings.chain_dir})")


@chain_app.command("down")
def chain_down() -> None:
    """Stop the local chain; its state is dumped to the data directory."""
    chain = _local_chain(Settings())
    if chain.running() is None:
        console.print("no local chain is running")
        return
    chain.stop()
    console.print("local chain stopped")


@chain_app.command("status")
def chain_status() -> None:
    """Say whether the local chain runs, and where."""
    record = _local_chain(Settings()).running()
    if record is None:
        say("no local chain is running")
        raise typer.Exit(code=1)
    say(f"running: pid {record.pid} at {record.rpc_url}, chain id {record.chain_id}")


@app.command()
def deploy(
    rpc_url: Annotated[
        str | None, typer.Option(metavar="URL", help="EVM JSON-RPC URL (default: local).")
    ] = None,
    network: Annotated[
        str | None, typer.Option(metavar="NAME", help="Record name: deployments/NAME.json.")
    ] = None,
    redeploy: Annotated[bool, typer.Option(help="Deploy anew even if a record exists.")] = False,
    admin: Annotated[
        str | None,
        typer.Option(metavar="NAME|ADDRESS", help="Admin account (default: the deployer)."),
    ] = None,
) -> None:
    """Deploy the ledger contracts, or reuse the recorded deployment."""
    from partledger.chain.connect import connect
    from partledger.chain.deployer import deploy as deploy_ledger
    from partledger.runtime import deployer_account, start_chain

    overrides = {k: v for k, v in {"rpc_url": rpc_url, "network": network}.items() if v}
    admin = resolve_address(admin, "admin") if admin else None
    with guarded():
        settings = Settings(**overrides)  # type: ignore[arg-type]
        url, chain = start_chain(settings)
        try:
            deployment = deploy_ledger(
                connect(url),
                deployer_account(settings),
                settings.deployment_path(),
                network=settings.network,
                admin=admin,
                redeploy=redeploy,
            )
        finally:
            if chain is not None:
                chain.release()
    verb = "reused" if deployment.reused else "deployed"
    table = Table(title=f"{verb} on {deployment.network} (chain id {deployment.chain_id})")
    for column in ("contract", "address", "block", "tx"):
        table.add_column(column)
    for name, c in sorted(deployment.contracts.items()):
        table.add_row(name, c.address, str(c.block), c.tx_hash)
    console.print(table)
    console.print(f"record: {settings.deployment_path()}")


@app.command()
def serve(
    host: Annotated[
        str | None, typer.Option(metavar="HOST", help="Interface to bind (default 127.0.0.1).")
    ] = None,
    port: Annotated[
        int | None,
        typer.Option(
            metavar="PORT",
            min=1,
            max=65535,
            help="Port of the HTTP API (default 8000); the embedded chain's port is "
            "PARTLEDGER_CHAIN_PORT.",
        ),
    ] = None,
) -> None:
    """Run the HTTP service (starting the local chain and deploying when needed)."""
    import uvicorn

    from partledger.api.app import create_app
    from partledger.api.logs import configure_logging
    from partledger.cli.common import load_identity
    from partledger.runtime import bring_up

    with guarded():
        # the options are the origin sign-in messages must name (PARTLEDGER_API_ORIGIN aside)
        settings = Settings()
        chosen = {"api_host": host, "api_port": port}
        if host is not None or port is not None:
            settings = Settings.model_validate(
                settings.model_dump() | {k: v for k, v in chosen.items() if v is not None}
            )
        custodians = [load_identity(name) for name in settings.api_custodial_oems]
        runtime = bring_up(settings)
    if runtime.local_chain is not None:
        port_note(runtime.local_chain)
    deployment = runtime.deployment
    verb = "reusing" if deployment.reused else "deployed"
    console.print(
        f"ledger {verb} on chain {deployment.chain_id} ({len(deployment.contracts)} contracts); "
        f"data in {settings.data_dir}"
    )
    try:
        app = create_app(runtime, close_runtime_on_shutdown=True, custodians=custodians)
        configure_logging()
        uvicorn.run(
            app,
            host=host or settings.api_host,
            port=port or settings.api_port,
            log_config=None,
            timeout_keep_alive=30,
            limit_concurrency=1000,
        )
    finally:
        runtime.close()  # when uvicorn fails to start; shutdown closes it otherwise
