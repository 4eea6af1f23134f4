"""Access and software requests: ask the approver in their chat, act on Approve, tell the requester either way."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import structlog

from bot import messages, messages_de
from bot.actions.approvals import Approval, SqlApprovals, Status
from bot.actions.catalog import Catalog, CatalogItem
from bot.actions.policy import ActionPolicy
from bot.actions.refusals import in_words
from bot.actions.requester import Refusal, own_account
from bot.audit import AuditEntry, AuditLog
from bot.core.clock import SystemClock
from bot.core.directory import DirectoryAccount, DirectoryError
from bot.core.model import Choice, HandoffPacket, Reply, ReplyKind, UserRef
from bot.core.ports import Clock, ConversationStore, Directory, FlowTurn, HandoffQueue, Notifier

log = structlog.get_logger(__name__)

APPROVE, DENY = "approval:approve:", "approval:deny:"


class ApprovalWorkflow:
    """Creates approvals, takes decisions (once, and only from the named approver) and expires stale ones."""

    def __init__(
        self,
        *,
        directory: Directory | None,
        approvals: SqlApprovals,
        catalog: Catalog,
        policy: ActionPolicy,
        audit: AuditLog,
        notifier: Notifier,
        store: ConversationStore,
        handoffs: HandoffQueue,
        clock: Clock = SystemClock(),
    ) -> None:
        self._directory = directory
        self._clock = clock
        self._approvals = approvals
        self._catalog = catalog
        self._policy = policy
        self._audit = audit
        self._notifier = notifier
        self._store = store
        self._handoffs = handoffs

    async def request(
        self,
        turn: FlowTurn,
        *,
        item: CatalogItem,
        account: DirectoryAccount,
        action: str,
        requester: str,
        approver: str,
        reason: str,
    ) -> None:
        """Ask `approver` (or, with none needed, grant at once) for `item` on the requester's `account`."""
        inbound = turn.inbound
        approval = await self._approvals.create(
            action=action,
            item_id=item.id,
            requester_email=requester,
            requester_account=account.id,
            conversation=inbound.conversation,
            requester_user_id=inbound.user.id,
            approver_email=approver or requester,
            reason=reason,
            lifetime=timedelta(hours=self._policy.approval_hours),
        )
        if not approver:
            await self._approvals.move(approval.id, from_status="pending", to_status="approved")
            await self._grant(approval, item=item, approver=None)
            return
        asked = Reply(
            kind=ReplyKind.ACTION,
            intent=action,
            expects="choice",
            text=messages.APPROVAL_REQUEST.format(approval=approval.id, requester=requester, item=item.name),
            choices=(
                Choice(id=f"{APPROVE}{approval.id}", label=messages.ACTION_APPROVE),
                Choice(id=f"{DENY}{approval.id}", label=messages.ACTION_DENY),
            ),
        )
        if not await self._notifier.tell_person(email=approver, reply=asked):
            await self._approvals.move(approval.id, from_status="pending", to_status="failed")
            await self._record(approval, outcome="approver_unreachable", approver=approver)
            await turn.hand_off(
                reason=f"{action} {item.name}: approver {approver} has never talked to the bot, "
                "so could not be asked in chat; please get the approval by another route",
                intent=action,
                confidence=None,
                template=in_words(
                    turn,
                    messages.ACTION_REFUSED,
                    why=in_words(turn, messages.WHY_APPROVER_UNREACHABLE, approver=approver),
                ),
            )
            return
        await self._record(approval, outcome="approval_requested", approver=approver)
        await turn.send(
            Reply(
                kind=ReplyKind.ACTION,
                intent=action,
                text=turn.local(messages.APPROVAL_ASKED).format(
                    approver=approver, item=item.name, approval=approval.id
                ),
            )
        )

    async def decide(self, turn: FlowTurn, *, approval_id: str, approve: bool) -> None:
        """An Approve or Deny click on `approval_id`, from whoever clicked it."""
        approval = await self._approvals.get(approval_id)
        item = self._catalog.get(approval.item_id) if approval is not None else None
        if approval is None or item is None:
            await turn.send(Reply(kind=ReplyKind.INFO, text=messages.ACTION_UNKNOWN_BUTTON))
            return
        clicker = (turn.inbound.user.email or turn.inbound.user.id).lower()
        if clicker != approval.approver_email:
            await self._record(approval, outcome="refused", approver=clicker, note=f"{clicker} is not the approver")
            await turn.send(
                Reply(
                    kind=ReplyKind.INFO,
                    text=messages.APPROVAL_NOT_YOURS.format(approver=approval.approver_email, approval=approval.id),
                )
            )
            return
        verdict: Status = "approved" if approve else "denied"
        if not await self._approvals.move(approval.id, from_status="pending", to_status=verdict, decided_by=clicker):
            await self._expire_if_due(approval, item=item)
            current = await self._approvals.get(approval.id)
            await turn.send(
                Reply(
                    kind=ReplyKind.INFO,
                    text=messages.APPROVAL_ALREADY_DECIDED.format(
                        approval=approval.id, status=current.status if current else "closed"
                    ),
                )
            )
            return
        if approve:
            granted = await self._grant(approval, item=item, approver=clicker)
            text = messages.APPROVAL_APPROVED_APPROVER if granted else messages.APPROVAL_FAILED_APPROVER
        else:
            await self._record(approval, outcome="denied", approver=clicker)
            await self._tell_requester(approval, messages.APPROVAL_DENIED, approver=clicker, item=item.name)
            text = messages.APPROVAL_DENIED_APPROVER
        await turn.send(
            Reply(
                kind=ReplyKind.INFO,
                text=text.format(requester=approval.requester_email, item=item.name, detail="see the IT ticket"),
            )
        )

    async def expire_overdue(self) -> int:
        """Expire every approval whose time is up and tell each requester; how many expired."""
        expired = 0
        for approval in await self._approvals.overdue():
            item = self._catalog.get(approval.item_id)
            if await self._expire_if_due(approval, item=item):
                expired += 1
        return expired

    async def _expire_if_due(self, approval: Approval, *, item: CatalogItem | None) -> bool:
        if approval.status != "pending" or approval.expires_at > self._clock.now():
            return False
        if not await self._approvals.move(approval.id, from_status="pending", to_status="expired"):
            return False
        await self._record(approval, outcome="expired", approver=None)
        name = item.name if item is not None else approval.item_id
        await self._tell_requester(approval, messages.APPROVAL_EXPIRED, item=name)
        return True

    async def _grant(self, approval: Approval, *, item: CatalogItem, approver: str | None) -> bool:
        """Add the membership after re-checking the requester's account; True when it was added."""
        if self._directory is None:  # approvals are only offered when a directory is configured
            raise RuntimeError("an approval was granted without a directory to act on")
        try:
            account = await own_account(self._directory, email=approval.requester_email, policy=self._policy)
            if isinstance(account, Refusal) or account.id != approval.requester_account:
                why = account.why if isinstance(account, Refusal) else "the account changed since the request"
                raise DirectoryError(why)
            await self._directory.add_to_group(account, item.group)
        except DirectoryError as error:
            await self._approvals.move(approval.id, from_status="approved", to_status="failed")
            await self._record(approval, outcome="failure", approver=approver, note=str(error)[:500])
            ticket = await self._ticket(
                approval, reason=f"{approval.action} {item.name} approved by {approver} but not granted: {error}"
            )
            await self._tell_requester(
                approval,
                messages.APPROVAL_FAILED,
                approver=approver or "IT",
                item=item.name,
                detail=str(error),
                ticket=ticket,
            )
            return False
        await self._approvals.move(approval.id, from_status="approved", to_status="done")
        await self._record(
            approval,
            outcome="success",
            approver=approver,
            rollback=f"remove {approval.requester_account} from group {item.group}",
        )
        await self._tell_requester(approval, messages.APPROVAL_GRANTED, approver=approver or "policy", item=item.name)
        return True

    async def _tell_requester(self, approval: Approval, template: str, **fields: str) -> None:
        """`template` filled in, in the language of the requester's conversation (read now: the decision comes
        later, in someone else's turn)."""
        state = await self._store.load_state(approval.conversation)
        text = messages_de.in_language(template, state.language if state else None).format(**fields)
        await self._notifier.tell_conversation(
            conversation=approval.conversation,
            user_id=approval.requester_user_id,
            reply=Reply(kind=ReplyKind.ACTION, intent=approval.action, text=text),
        )

    async def _ticket(self, approval: Approval, *, reason: str) -> str:
        user = UserRef(id=approval.requester_user_id, email=approval.requester_email)
        packet = HandoffPacket(
            conversation=approval.conversation,
            user=user,
            reason=reason,
            question="",
            intent=approval.action,
            confidence=None,
            retrieval=(),
            transcript=tuple(await self._store.transcript(approval.conversation)),
        )
        ticket = (await self._handoffs.open(packet)).ticket
        state = await self._store.load_state(approval.conversation)
        if state is not None and state.open_handoff is None:  # the person's next messages go to IT
            await self._store.save_state(conversation=approval.conversation, state=replace(state, open_handoff=ticket))
        return ticket

    async def _record(
        self, approval: Approval, *, outcome: str, approver: str | None, note: str = "", rollback: str | None = None
    ) -> None:
        details: dict[str, str | int | float | bool | None] = {"approval": approval.id, "item": approval.item_id}
        if note:
            details["note"] = note
        await self._audit.record(
            AuditEntry(
                actor=approval.requester_email,
                account=approval.requester_account,
                action=approval.action,
                outcome=outcome,
                reason=approval.reason,
                approver=approver,
                details=details,
                rollback=rollback,
            )
        )
