"""After the person says yes: the second factor if needed, then the approval request or the action itself."""

from __future__ import annotations

import contextlib

from bot import messages
from bot.actions.approval_workflow import ApprovalWorkflow
from bot.actions.catalog import Catalog
from bot.actions.code_step import CodeStep
from bot.actions.execution import ActionContext, Executor
from bot.actions.policy import ActionPolicy, ActionSpec
from bot.actions.refusals import Refusals
from bot.audit import AuditLog
from bot.core.directory import DirectoryAccount
from bot.core.flows import ActionFlow
from bot.core.model import Reply, ReplyKind
from bot.core.ports import Directory, FlowTurn, SharedState, SharedStateUnavailable

EXECUTION_LOCK_SECONDS = 120.0


class CarryOut:
    """Carries a confirmed flow through to the end, acting only on the account the flow was started for."""

    def __init__(
        self,
        *,
        directory: Directory | None,
        policy: ActionPolicy,
        catalog: Catalog,
        audit: AuditLog,
        approvals: ApprovalWorkflow,
        shared_state: SharedState,
        code_step: CodeStep,
        refusals: Refusals,
    ) -> None:
        self._policy = policy
        self._catalog = catalog
        self._approvals = approvals
        self._shared = shared_state
        self._code = code_step
        self._refusals = refusals
        self._executor = None if directory is None else Executor(directory=directory, audit=audit, policy=policy)

    async def proceed(self, turn: FlowTurn, *, flow: ActionFlow) -> None:
        """Ask for the second factor when the action needs one and the flow has none yet; otherwise act."""
        spec = self._policy.spec(flow.action)
        account = await self._refusals.own_account(turn, intent=flow.action, email=flow.email, reason=flow.reason)
        if spec is None or account is None or account.id != flow.account:
            await turn.set_flow(None)
            return
        if spec.assurance >= 2 and not flow.verified:
            await self._code.challenge(turn, flow=flow, account=account)
            return
        await self._act(turn, flow=flow, spec=spec, account=account)

    async def _act(self, turn: FlowTurn, *, flow: ActionFlow, spec: ActionSpec, account: DirectoryAccount) -> None:
        await turn.set_flow(None)
        if flow.item:
            item = self._catalog.get(flow.item)
            if item is None:  # the flow outlived a catalog change
                raise LookupError(f"catalog item {flow.item!r} is no longer in the catalog")
            await self._approvals.request(
                turn,
                item=item,
                account=account,
                action=flow.action,
                requester=flow.email,
                approver=flow.approver,
                reason=flow.reason,
            )
            return
        # One execution at a time per account, across conversations and replicas.
        lock = f"action-lock:{account.id}"
        try:
            locked = await self._shared.claim(lock, ttl_seconds=EXECUTION_LOCK_SECONDS)
        except SharedStateUnavailable:  # without the lock two replicas could act at once: do nothing
            await self._refusals.paused(turn, actor=flow.email, intent=flow.action, reason=flow.reason)
            return
        if not locked:
            await turn.send(
                Reply(
                    kind=ReplyKind.INFO,
                    text=turn.local(messages.ACTION_IN_PROGRESS).format(action=turn.action_label(flow.action)),
                )
            )
            return
        try:
            if self._executor is None:  # set whenever there is a directory, which every started action needs
                raise RuntimeError("a self-service action was confirmed without a directory")
            await self._executor.run(
                turn,
                ActionContext(
                    action=flow.action,
                    requester=flow.email,
                    account=account,
                    reason=flow.reason,
                    assurance=spec.assurance,
                ),
            )
        finally:
            with contextlib.suppress(SharedStateUnavailable):  # the lock's TTL frees it if Redis is away now
                await self._shared.release(lock)
