"""Every TaskOptions field is offered on every surface: the CLI, the REST API and the page.

One schema (``pipeline.options``) lists what a user can choose; these tests fail when a
field is missing from ``python -m pipeline run --help``, from the OpenAPI schema of
``POST /v1/tasks`` (both its multipart and its JSON body), or from the page's
``/translate`` endpoint as ``gradio_client`` sees it.
"""

from __future__ import annotations

import io
from collections.abc import Iterator, Mapping
from typing import Any

import pytest
from gradio_client import Client

import app
from pipeline.cli import main
from pipeline.options import option_fields
from pipeline.settings import Settings
from tests import fakes
from tests.browser.appserver import start_app
from vendors.registry import default_registry

OPTION_NAMES = [name for name, _ in option_fields()]


def missing(offered: set[str]) -> list[str]:
    """The option names not in ``offered``, in schema order."""
    return [name for name in OPTION_NAMES if name not in offered]


def test_the_schema_has_options_to_check():
    assert {"target_language", "timing", "glossary", "text_only"} <= set(OPTION_NAMES)


def test_every_option_is_a_flag_of_run():
    out, err = io.StringIO(), io.StringIO()
    assert main(["run", "--help"], registry=default_registry(), settings=Settings.from_env({}),
                out=out, err=err) == 0
    words = set(out.getvalue().replace(",", " ").replace("[", " ").replace("]", " ").split())
    flags = {name for name in OPTION_NAMES if f"--{name.replace('_', '-')}" in words}
    gaps = missing(flags)
    assert not gaps, f"fields without a --field-name flag in `run --help`: {gaps}"


def _resolve(schema: Mapping[str, Any], document: Mapping[str, Any],
             root: Mapping[str, Any]) -> Mapping[str, Any]:
    ref = schema.get("$ref")
    if not ref:
        return schema
    where = document if ref.startswith("#/components/") else root
    for part in ref.removeprefix("#/").split("/"):
        where = where[part]
    return where


def property_names(schema: Mapping[str, Any], document: Mapping[str, Any],
                   root: Mapping[str, Any] | None = None) -> Iterator[str]:
    """Every property a body schema names, through ``$ref``, ``allOf``, ``anyOf``, ``oneOf``."""
    root = root if root is not None else schema
    schema = _resolve(schema, document, root)
    yield from schema.get("properties", {})
    for key in ("allOf", "anyOf", "oneOf"):
        for part in schema.get(key, ()):
            yield from property_names(part, document, root)


@pytest.fixture(scope="module")
def openapi(tmp_path_factory) -> dict[str, Any]:
    data = tmp_path_factory.mktemp("openapi-data")
    application = app.create_app({"APP_DATA_DIR": str(data)},
                                 registry=default_registry(fakes.FAKE_VENDORS))
    return application.openapi()


@pytest.mark.parametrize("media_type", ["multipart/form-data", "application/json"])
def test_every_option_is_a_field_of_the_task_body(openapi, media_type):
    body = openapi["paths"]["/v1/tasks"]["post"]["requestBody"]["content"][media_type]
    offered = set(property_names(body["schema"], openapi))
    gaps = missing(offered)
    assert not gaps, f"fields missing from the {media_type} body of POST /v1/tasks: {gaps}"


@pytest.fixture(scope="module")
def page_api(tmp_path_factory) -> dict[str, Any]:
    server = start_app(tmp_path_factory.mktemp("page-data"))
    try:
        client = Client(server.url, verbose=False)
        try:
            yield client.view_api(return_format="dict", print_info=False)
        finally:
            client.close()
    finally:
        server.stop()
        fakes.INSTANCES.clear()


def test_every_option_is_a_parameter_of_the_page_translate_endpoint(page_api):
    parameters = page_api["named_endpoints"]["/translate"]["parameters"]
    gaps = missing({p["parameter_name"] for p in parameters})
    assert not gaps, f"fields missing from the page's /translate endpoint: {gaps}"
