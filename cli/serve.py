"""`osiris serve`: Central Command over HTTP on the embedded Postgres default or `DATABASE_URL`."""

from __future__ import annotations

import sys

import typer

app = typer.Typer(help="Serve Central Command over HTTP and gRPC.", add_completion=False)


@app.command()
def serve(
    host: str = typer.Option("127.0.0.1", "--host", help="Interface to listen on."),
    port: int = typer.Option(8000, "--port", min=0, max=65535, help="HTTP port."),
    grpc_port: int | None = typer.Option(None, "--grpc-port", min=0, max=65535, help="gRPC port (mutual TLS)."),
    grpc_enroll_port: int | None = typer.Option(
        None, "--grpc-enroll-port", min=0, max=65535, help="gRPC enrollment port (default: --grpc-port + 1)."
    ),
    log_level: str = typer.Option("info", "--log-level", help="uvicorn log level."),
) -> None:
    """Apply migrations, open the database and serve; `GET /readyz` answers 200 once it serves."""
    import uvicorn

    from serving.app import create_app, grpc_available
    from serving.settings import Settings

    settings = Settings()
    if grpc_port is not None:
        if grpc_available():
            settings = settings.model_copy(update={"grpc_port": grpc_port})
        else:
            sys.stderr.write("note: gRPC is not built yet in this version; serving HTTP only\n")
    central = create_app(settings)
    if settings.grpc_port is not None:
        from serving.grpc.settings import GrpcSettings

        # gRPC listens on the same interface as HTTP; its other settings come from OSIRIS_GRPC_*.
        chosen = {"host": host} | ({"enroll_port": grpc_enroll_port} if grpc_enroll_port is not None else {})
        central.state.grpc_settings = GrpcSettings(home=settings.home, **chosen)
    uvicorn.run(central, host=host, port=port, log_level=log_level, lifespan="on")
