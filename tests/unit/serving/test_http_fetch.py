"""http(s):// artifacts are downloaded with the standard library, then digest-checked like any other."""

from __future__ import annotations

import asyncio
from pathlib import Path

from aiohttp import web
from aiohttp.test_utils import TestServer

from modelyard.serving.artifacts import ArtifactError, fetch, sha256_file


async def test_http_download(tmp_path: Path) -> None:
    app = web.Application()
    async def artifact(request: web.Request) -> web.Response:
        return web.Response(body=b"weights")

    app.router.add_get("/m/model.joblib", artifact)
    server = TestServer(app, host="127.0.0.1")
    await server.start_server()
    try:
        base = str(server.make_url("")).rstrip("/")
        path = await asyncio.to_thread(fetch, f"{base}/m/model.joblib", pvc_root="/x", cache_dir=str(tmp_path))
        assert path.read_bytes() == b"weights" and path.parent == tmp_path
        assert sha256_file(path).startswith("sha256:")
        try:
            await asyncio.to_thread(fetch, f"{base}/missing", pvc_root="/x", cache_dir=str(tmp_path))
            raise AssertionError("a 404 must not count as a download")
        except ArtifactError as err:
            assert "404" in str(err)
    finally:
        await server.close()
