"""Data contracts: the list, and one contract's columns, rules, users and check history.

scalegate stores check runs, not contract files, so a contract is shown as its newest run
saw it (observed column types, the rules checked with severity and threshold), which is what
the page says too.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response

from scalegate.services import contracts
from scalegate.web.auth import Viewer
from scalegate.web.contexts import ContractPage, ContractsPage
from scalegate.web.templating import render

router = APIRouter(include_in_schema=False)


@router.get("/contracts")
async def contract_list(caller: Viewer, request: Request) -> Response:
    found = await run_in_threadpool(contracts.list_contracts, caller.store)
    return render(request, "contracts/list.html", ContractsPage(found))


@router.get("/contracts/{name}")
async def contract_page(caller: Viewer, request: Request, name: str) -> Response:
    detail = await run_in_threadpool(contracts.contract, caller.store, name)
    return render(request, "contracts/page.html", ContractPage(detail))
