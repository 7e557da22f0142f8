"""Upload a file (docx, pdf, html, md, txt, csv, jsonl) with metadata, warned of
near-duplicates before anything is stored. A file waiting for "save anyway" is kept in the
data folder for an hour (a browser cannot send a file field again by itself)."""

from __future__ import annotations

import json
import secrets
import time
from pathlib import Path
from typing import Annotated, Any

from fastapi import Depends, Request
from fastapi.responses import HTMLResponse, Response
from pydantic import ValidationError

from api.deps import ContextDep
from api.schemas.documents import DocumentFields
from api.web.forms import field_errors, fields_named, parse_fields, place_message
from api.web.pages import page_router, redirect, render
from api.web.session import PageContributor, verify_csrf
from api.writes import NEAR_DUPLICATE_CHECK_MAX, make_searchable, similar_before_saving
from ingest.submission import store_upload
from ingest.uploads import read_upload
from kb.access import viewer_of
from kb.db import transaction
from kb.errors import InvalidInput, KBError
from kb.store import SaveResult
from kb.vocabulary import Confidentiality, Kind
from kb.vocabulary import values as choices

router = page_router()
UPLOAD_FIELDS = ("products", "tags", "customer", "industry", "competitor", "source", "observed")
KEEP_SECONDS = 3600


def _page(values: dict[str, str], errors: dict[str, str], similar: list[Any]) -> dict[str, Any]:
    return {
        "values": values,
        "errors": errors,
        "similar": similar,
        "kinds": choices(Kind),
        "levels": choices(Confidentiality),
        "upload_fields": UPLOAD_FIELDS,
    }


@router.get("/upload", response_class=HTMLResponse)
def upload_page(request: Request, person: PageContributor) -> HTMLResponse:
    return render(request, "upload.html", **_page({}, {}, []))


async def upload_form(request: Request) -> tuple[dict[str, str], bytes | None, str]:
    """Form text, file bytes (None when no file was sent) and file name, after the CSRF check."""
    form = await request.form()
    values = {k: v for k, v in form.items() if isinstance(v, str)}
    verify_csrf(request, values.get("csrf", ""))
    upload = form.get("file")
    if isinstance(upload, str) or upload is None or not upload.filename:
        return values, None, ""
    limit = request.app.state.context.settings.max_file_bytes
    return values, await upload.read(limit + 1), upload.filename


UploadForm = Annotated[tuple[dict[str, str], bytes | None, str], Depends(upload_form)]


@router.post("/upload", response_class=HTMLResponse)
def upload_submit(
    request: Request, person: PageContributor, context: ContextDep, form: UploadForm
) -> Response:
    values, data, filename = form
    stash = Stash(context.settings.home / "web-uploads")
    if data is None and values.get("kept"):
        data, filename = stash.take(values["kept"])
    if data is None:
        return render(
            request, "upload.html", status=422, **_page(values, {"file": "choose a file"}, [])
        )
    try:
        overrides = _overrides(values)
    except ValidationError as exc:
        return render(request, "upload.html", status=422, **_page(values, field_errors(exc), []))
    try:
        prepared = read_upload(
            context.ingester.budget,
            data,
            filename,
            overrides=overrides,
            author=person.name,
            max_bytes=context.settings.max_file_bytes,
        )
        similar = _similar(context, prepared, person) if not values.get("save_anyway") else []
        if similar:
            kept = {**values, "kept": stash.keep(data, filename), "filename": filename}
            return render(request, "upload.html", **_page(kept, {}, similar))
        results = _store(context, prepared, person, values.get("change_note") or None)
    except KBError as exc:
        errors = place_message(exc.message, ("title", "kind", "owner", *UPLOAD_FIELDS))
        return render(request, "upload.html", status=exc.status, **_page(values, errors, []))
    if len(results) == 1:
        return redirect(f"/doc/{results[0].document.id}")
    return redirect("/?" + "q=" + filename)


def _store(
    context: ContextDep, prepared: list[Any], person: Any, change_note: str | None
) -> list[SaveResult]:
    with transaction(context.engine) as session:
        results = store_upload(
            session, prepared, author=person.name, change_note=change_note, viewer=viewer_of(person)
        )
    make_searchable(context, session, [r.document.id for r in results])
    return results


def _overrides(values: dict[str, str]) -> dict[str, Any]:
    fields = parse_fields(values, fields_named(UPLOAD_FIELDS))
    checked = DocumentFields.model_validate(fields)
    overrides = checked.model_dump(mode="json", exclude_none=True, exclude={"change_note"})
    for name in ("title", "kind", "owner", "confidentiality"):
        if values.get(name, "").strip():
            overrides[name] = values[name].strip()
    if overrides.get("kind") not in (None, *choices(Kind)):
        raise InvalidInput(f"unknown kind '{overrides['kind']}'")
    return overrides


def _similar(context: ContextDep, prepared: list[Any], person: Any) -> list[dict[str, Any]]:
    if len(prepared) > NEAR_DUPLICATE_CHECK_MAX:
        return []
    found: dict[int, dict[str, Any]] = {}
    for item in prepared:
        for match in similar_before_saving(context, item, person):
            found.setdefault(match["document_id"], match)
    return list(found.values())


class Stash:
    """Uploaded files waiting for the person's "save anyway", under random names."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder

    def keep(self, data: bytes, filename: str) -> str:
        self.folder.mkdir(parents=True, exist_ok=True)
        self._expire()
        key = secrets.token_urlsafe(24)
        (self.folder / f"{key}.bin").write_bytes(data)
        (self.folder / f"{key}.json").write_text(json.dumps({"filename": filename}), "utf-8")
        return key

    def take(self, key: str) -> tuple[bytes | None, str]:
        if not key.replace("-", "").replace("_", "").isalnum():
            return None, ""
        data_path, meta_path = self.folder / f"{key}.bin", self.folder / f"{key}.json"
        if not data_path.exists() or not meta_path.exists():
            return None, ""
        data, meta = data_path.read_bytes(), json.loads(meta_path.read_text("utf-8"))
        data_path.unlink(missing_ok=True)
        meta_path.unlink(missing_ok=True)
        return data, str(meta.get("filename", "upload"))

    def _expire(self) -> None:
        cutoff = time.time() - KEEP_SECONDS
        for path in self.folder.glob("*"):
            if path.stat().st_mtime < cutoff:
                path.unlink(missing_ok=True)
