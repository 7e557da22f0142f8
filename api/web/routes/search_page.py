"""The search page (`/`): query, mode, facets with counts, dates, history, paging. The URL
holds the whole query, so a search can be shared."""

from __future__ import annotations

from collections import Counter, OrderedDict
from dataclasses import dataclass, field
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import Depends, Query, Request
from fastapi.responses import HTMLResponse
from sqlmodel import Session, col, select

from api.deps import ContextDep, SessionDep
from api.web.pages import page_router, render
from api.web.session import PageReader
from kb.access import viewer_of
from kb.clock import utcnow
from kb.freshness import freshness_of
from kb.models import Document, Person
from kb.vocabulary import Mode, field_values
from kb.vocabulary import values as choices
from search.catalog import DocEntry
from search.service import Ranking, SearchHit

router = page_router()
PAGE_SIZE = 10
WINDOW = 50  # results the facets count and the pages walk through
SEARCH_FACETS = ("kind", "product", "competitor", "industry", "customer", "outcome", "owner")
FACETS = (*SEARCH_FACETS, "language", "freshness")
DATE_FIELDS = ("date_after", "date_before")


@dataclass
class SearchForm:
    q: str = ""
    mode: str = "hybrid"
    history: bool = False
    page: int = 1
    chosen: dict[str, str] = field(default_factory=dict)  # facet and date filters

    def url(self, **changes: Any) -> str:
        """This search's URL with some parameters changed (None removes one)."""
        params: dict[str, Any] = {"q": self.q, "mode": self.mode, **self.chosen}
        if self.history:
            params["history"] = "1"
        params.update(changes)
        return "/?" + urlencode({k: v for k, v in params.items() if v not in (None, "")})


def search_form(
    q: Annotated[str, Query(max_length=2000)] = "",
    mode: Annotated[str, Query(pattern="^(hybrid|semantic|keyword)$")] = "hybrid",
    history: bool = False,
    page: Annotated[int, Query(ge=1, le=WINDOW // PAGE_SIZE)] = 1,
    kind: str = "",
    product: str = "",
    competitor: str = "",
    industry: str = "",
    customer: str = "",
    outcome: str = "",
    owner: str = "",
    language: str = "",
    freshness: str = "",
    date_after: str = "",
    date_before: str = "",
) -> SearchForm:
    values = {
        "kind": kind,
        "product": product,
        "competitor": competitor,
        "industry": industry,
        "customer": customer,
        "outcome": outcome,
        "owner": owner,
        "language": language,
        "freshness": freshness,
        "date_after": date_after,
        "date_before": date_before,
    }
    chosen = {k: v.strip() for k, v in values.items() if v.strip()}
    return SearchForm(q=q.strip(), mode=mode, history=history, page=page, chosen=chosen)


@dataclass
class ResultGroup:
    """One document's results (several when history shows past versions)."""

    document_id: int
    title: str
    hits: list[SearchHit]
    freshness: str


@router.get("/", response_class=HTMLResponse)
def search_page(
    request: Request,
    person: PageReader,
    context: ContextDep,
    session: SessionDep,
    form: Annotated[SearchForm, Depends(search_form)],
) -> HTMLResponse:
    if not form.q:
        return render(
            request, "search.html", form=form, groups=[], facets={}, total=0, modes=choices(Mode)
        )
    ranking = rank(context, form, person)
    entries = [entry for _, _, entry in ranking.results]
    statuses = freshness_statuses(session, {e.id for e in entries}, context)
    facets = facet_counts(entries, statuses)
    results = ranking.results
    if form.chosen.get("freshness"):
        results = [r for r in results if statuses.get(r[2].id) == form.chosen["freshness"]]
    order = list(dict.fromkeys(entry.id for _, _, entry in results))
    start = (form.page - 1) * PAGE_SIZE
    shown = set(order[start : start + PAGE_SIZE])
    hits = context.search.hits(ranking, [r for r in results if r[2].id in shown])
    return render(
        request,
        "search.html",
        form=form,
        groups=group_by_document(hits, statuses),
        facets=facets,
        total=len(order),
        pages=(len(order) + PAGE_SIZE - 1) // PAGE_SIZE,
        window=WINDOW,
        modes=choices(Mode),
    )


def rank(context: ContextDep, form: SearchForm, person: Person) -> Ranking:
    """The best WINDOW results for the form's query and filters (freshness is not a search
    filter: the page applies it to the ranking)."""
    wanted = (*SEARCH_FACETS, "language", *DATE_FIELDS)
    return context.search.rank(
        form.q,
        top_k=WINDOW,
        mode=form.mode,
        filters={k: v for k, v in form.chosen.items() if k in wanted},
        viewer=viewer_of(person),
        history=form.history,
    )


def freshness_statuses(session: Session, ids: set[int], context: ContextDep) -> dict[int, str]:
    """Each document's freshness status now (kb.freshness decides)."""
    if not ids:
        return {}
    documents = list(session.exec(select(Document).where(col(Document.id).in_(ids))))
    owners = {d.owner for d in documents if d.owner}
    active = {
        p.name
        for p in session.exec(select(Person).where(col(Person.name).in_(owners)))
        if not p.disabled
    }
    now = utcnow()
    return {
        d.id: freshness_of(
            d,
            now=now,
            owner_active=d.owner in active,
            due_soon_days=context.settings.due_soon_days,
        ).status
        for d in documents
        if d.id is not None
    }


def facet_values(entry: DocEntry, freshness: str | None) -> dict[str, list[str]]:
    meta = entry.meta
    single = {name: field_values(meta, name) for name in ("industry", "customer")}
    outcome = entry.outcome  # a bid_result's own, unless its bid's was recorded (kb.bids)
    return {
        "kind": [entry.kind],
        "product": field_values(meta, "products"),
        "competitor": sorted(set(field_values(meta, "competitors"))),
        **single,
        "outcome": [str(outcome)] if outcome else [],
        "owner": [entry.owner] if entry.owner else [],
        "language": [entry.language],
        "freshness": [freshness] if freshness else [],
    }


def facet_counts(
    entries: list[DocEntry], statuses: dict[int, str]
) -> dict[str, list[tuple[str, int]]]:
    """Per facet, (value, number of documents) most common first; a document counts once."""
    counters: dict[str, Counter[str]] = {name: Counter() for name in FACETS}
    seen: dict[int, dict[str, list[str]]] = {}
    for entry in entries:
        seen.setdefault(entry.id, facet_values(entry, statuses.get(entry.id)))
    for values in seen.values():
        for name, found in values.items():
            counters[name].update(set(found))
    return {name: counter.most_common(12) for name, counter in counters.items() if counter}


def group_by_document(hits: list[SearchHit], statuses: dict[int, str]) -> list[ResultGroup]:
    groups: OrderedDict[int, ResultGroup] = OrderedDict()
    for hit in hits:
        group = groups.get(hit.document_id)
        if group is None:
            group = ResultGroup(hit.document_id, hit.title, [], statuses.get(hit.document_id, ""))
            groups[hit.document_id] = group
        group.hits.append(hit)
    return list(groups.values())
