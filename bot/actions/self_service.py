"""The self-service actions: intent → confirm → verify → approval or execute → audit → tell (design §4, "Action").

Flow state lives in the conversation (persisted every step), so a restart mid-flow carries on, and every flow
expires after the policy's `flow_minutes`. Actions only ever touch the account looked up from the person's
authenticated chat identity; nothing in a message (or an article) can name the account acted on.
"""

from __future__ import annotations

import contextlib
import re
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import structlog

from bot import messages
from bot.actions.approval_workflow import APPROVE, DENY, ApprovalWorkflow
from bot.actions.catalog import Catalog, CatalogItem, Kind
from bot.actions.execution import ActionContext, Executor
from bot.actions.guards import Guards
from bot.actions.policy import ActionPolicy, ActionSpec
from bot.actions.requester import Refusal, names_someone_else, own_account
from bot.actions.verification import CodeResult, Method, SecondFactor
from bot.audit import AuditEntry, AuditLog
from bot.core.choices import TALK_TO_PERSON, ChoiceRouter, Matcher, Prefix
from bot.core.clock import SystemClock
from bot.core.directory import DirectoryAccount, DirectoryUnavailable
from bot.core.flows import ActionFlow
from bot.core.model import Choice, Reply, ReplyKind
from bot.core.ports import Clock, Directory, FlowTurn, SharedState, SharedStateUnavailable
from bot.identity.email_codes import EmailDeliveryError

log = structlog.get_logger(__name__)

ACTION, APPROVAL = "action:", "approval:"  # the buttons this package answers (the rest are the engine's)
YES, CANCEL, ITEM = f"{ACTION}yes", f"{ACTION}cancel", f"{ACTION}item:"
REQUESTS: dict[str, Kind] = {"request_access": "access", "request_software": "software"}
_YES_WORDS = re.compile(r"^\s*(y|yes|yep|yeah|ok|okay|sure|go ahead|confirm|do it|please do)\W*\s*$", re.IGNORECASE)
_CANCEL_WORDS = re.compile(r"^\s*(n|no|nope|cancel|stop|abort|never ?mind|quit)\W*\s*$", re.IGNORECASE)
EXECUTION_LOCK_SECONDS = 120.0


class SelfServiceActions:
    """Implements the core's SelfService port."""

    def __init__(
        self,
        *,
        directory: Directory | None,
        policy: ActionPolicy,
        catalog: Catalog,
        guards: Guards,
        second_factor: SecondFactor,
        audit: AuditLog,
        approvals: ApprovalWorkflow,
        shared_state: SharedState,
        clock: Clock = SystemClock(),
    ) -> None:
        self._directory = directory
        self._clock = clock
        self._policy = policy
        self._catalog = catalog
        self._guards = guards
        self._factor = second_factor
        self._audit = audit
        self._approvals = approvals
        self._shared = shared_state
        self._executor = None if directory is None else Executor(directory=directory, audit=audit, policy=policy)
        self._buttons = ChoiceRouter[FlowTurn](fallback=self._unknown_button)
        self._buttons.on(Prefix(APPROVE), handler=self._approve)
        self._buttons.on(Prefix(DENY), handler=self._deny)
        self._buttons.on(Prefix(ACTION), handler=self._flow_button)

    @property
    def choices(self) -> tuple[Matcher, ...]:
        return Prefix(ACTION), Prefix(APPROVAL)

    # ---- starting ------------------------------------------------------------------------------------------

    async def start(self, turn: FlowTurn, *, intent: str, confidence: float) -> None:
        email = (turn.inbound.user.email or "").strip().lower()
        actor = email or turn.inbound.user.id
        reason = f"intent {intent} (confidence {confidence:.2f})"
        spec = self._policy.spec(intent)
        if spec is None:
            return await self._refuse(
                turn, intent=intent, actor=actor, reason=reason, why=messages.WHY_DISABLED_BY_POLICY
            )
        if self._directory is None:
            return await self._refuse(turn, intent=intent, actor=actor, reason=reason, why=messages.WHY_NO_DIRECTORY)
        if not email:
            return await self._refuse(turn, intent=intent, actor=actor, reason=reason, why=messages.WHY_NO_ACCOUNT)
        if names_someone_else(turn.inbound.text, own_email=email):
            return await self._refuse(turn, intent=intent, actor=actor, reason=reason, why=messages.WHY_OTHER_PERSON)
        try:
            within = await self._within_limits(turn, intent=intent, email=email, reason=reason)
        except SharedStateUnavailable:
            await self._paused(turn, actor=email, intent=intent, reason=reason)
            return
        if not within:
            return
        account = await self._account(turn, intent=intent, email=email, reason=reason)
        if account is None:
            return
        flow = ActionFlow(
            action=intent, email=email, account=account.id, reason=reason, step="confirm", expires=self._expiry()
        )
        if intent in REQUESTS:
            await self._choose_item(turn, flow=flow, account=account, text=turn.inbound.text)
            return
        await self._confirm(turn, flow=flow, account=account)

    async def _within_limits(self, turn: FlowTurn, *, intent: str, email: str, reason: str) -> bool:
        """False (after telling the person and handing off) when a lockout, rate limit or cooldown applies."""
        locked = await self._guards.locked_until(email)
        cooling = None if locked else await self._guards.cooldown_until(email, action=intent)
        if locked is not None:
            why, template = (
                f"self-service locked until {_clock(locked)} UTC after wrong codes",
                messages.SELF_SERVICE_LOCKED.replace("{until}", _clock(locked)),
            )
        elif await self._guards.over_rate_limit(email):
            why, template = "rate limit reached", messages.RATE_LIMITED
        elif cooling is not None:
            why, template = (
                f"done recently, cooldown until {_clock(cooling)} UTC",
                messages.COOLDOWN.replace("{until}", _clock(cooling)),
            )
        else:
            return True
        await self._audit_refusal(actor=email, intent=intent, reason=reason, why=why)
        await turn.hand_off(reason=f"{intent} for {email}: {why}", intent=intent, confidence=None, template=template)
        return False

    async def _account(self, turn: FlowTurn, *, intent: str, email: str, reason: str) -> DirectoryAccount | None:
        if self._directory is None:  # actions are only started when a directory is configured
            raise RuntimeError("a self-service action was started without a directory")
        try:
            found = await own_account(self._directory, email=email, policy=self._policy)
        except DirectoryUnavailable:
            await self._refuse(turn, intent=intent, actor=email, reason=reason, why=messages.WHY_DIRECTORY_DOWN)
            return None
        if isinstance(found, Refusal):
            await self._refuse(turn, intent=intent, actor=email, reason=reason, why=found.why)
            return None
        return found

    async def _choose_item(self, turn: FlowTurn, *, flow: ActionFlow, account: DirectoryAccount, text: str) -> None:
        kind = REQUESTS[flow.action]
        mentioned = self._catalog.mentioned(text, kind=kind)
        if len(mentioned) == 1:
            await self._confirm(turn, flow=replace(flow, item=mentioned[0].id), account=account)
            return
        candidates = mentioned or self._catalog.of_kind(kind)
        if not candidates:
            await self._audit_refusal(
                actor=flow.email, intent=flow.action, reason=flow.reason, why="nothing in the catalog"
            )
            await turn.set_flow(None)
            await turn.hand_off(
                reason=f"{flow.action}: no catalog item matches",
                intent=flow.action,
                confidence=None,
                template=messages.ACTION_NO_CATALOG.replace("{what}", "that"),
            )
            return
        await turn.set_flow(replace(flow, step="item"))
        choices = (
            *(Choice(id=f"{ITEM}{item.id}", label=item.name) for item in candidates[:10]),
            Choice(id=CANCEL, label=messages.ACTION_CANCEL),
        )
        await turn.send(
            Reply(
                kind=ReplyKind.ACTION,
                intent=flow.action,
                text=messages.ACTION_PICK_ITEM,
                choices=choices,
                expects="choice",
            )
        )

    async def _confirm(self, turn: FlowTurn, *, flow: ActionFlow, account: DirectoryAccount) -> None:
        action = flow.action
        template = messages.ACTION_CONFIRM[action]
        fields = {"account": account.email, "name": account.display_name or account.email, "item": "", "approval": ""}
        item = self._catalog.get(flow.item) if flow.item else None
        if item is not None:
            approver = self._approver_of(item, account=account, action=action)
            if isinstance(approver, Refusal):
                await turn.set_flow(None)
                return await self._refuse(turn, intent=action, actor=flow.email, reason=flow.reason, why=approver.why)
            flow = replace(flow, approver=approver)
            fields.update(
                item=item.name,
                approval=(
                    messages.ACTION_NEEDS_APPROVAL.format(approver=approver)
                    if approver
                    else messages.ACTION_NO_APPROVAL
                ),
            )
        await turn.set_flow(replace(flow, step="confirm"))
        await turn.send(
            Reply(
                kind=ReplyKind.ACTION,
                intent=action,
                text=template.format(**fields),
                expects="choice",
                choices=(Choice(id=YES, label=messages.ACTION_YES), Choice(id=CANCEL, label=messages.ACTION_CANCEL)),
            )
        )

    def _approver_of(self, item: CatalogItem, *, account: DirectoryAccount, action: str) -> str | Refusal:
        """Who approves `item` for `account` ("" when nobody needs to), or why a human must handle it."""
        spec = self._policy.spec(action)
        if spec is None:
            raise RuntimeError(f"the action {action!r} is not enabled in the policy")
        if item.privileged or self._policy.is_privileged((item.group,)):
            return Refusal(why=messages.WHY_PRIVILEGED_ITEM.format(item=item.name))
        rule = item.approval or spec.approval
        approver = {"none": "", "owner": item.owner or "", "manager": account.manager_email or ""}.get(rule)
        if rule == "staff" or approver is None:
            return Refusal(why=messages.WHY_STAFF_APPROVAL.format(item=item.name))
        if rule != "none" and not approver:
            return Refusal(why=messages.WHY_NO_APPROVER.format(item=item.name))
        if approver and approver.casefold() == account.email.casefold():
            return Refusal(why=messages.WHY_STAFF_APPROVAL.format(item=item.name))  # nobody approves themselves
        return approver.lower()

    # ---- continuing ----------------------------------------------------------------------------------------

    async def choose(self, turn: FlowTurn) -> None:
        await self._buttons.dispatch(turn, turn.inbound.choice or "")

    async def _approve(self, turn: FlowTurn, approval_id: str) -> None:
        await self._approvals.decide(turn, approval_id=approval_id, approve=True)

    async def _deny(self, turn: FlowTurn, approval_id: str) -> None:
        await self._approvals.decide(turn, approval_id=approval_id, approve=False)

    async def _flow_button(self, turn: FlowTurn, _rest: str) -> None:
        """Confirm, cancel or an item: they mean something only while this conversation's flow is open."""
        if isinstance(turn.flow, ActionFlow):
            await self.resume(turn, turn.flow)
        else:
            await self._unknown_button(turn, _rest)

    async def _unknown_button(self, turn: FlowTurn, _payload: str) -> None:
        await turn.send(Reply(kind=ReplyKind.INFO, text=messages.ACTION_UNKNOWN_BUTTON))

    async def resume(self, turn: FlowTurn, flow: ActionFlow) -> None:
        choice, text = turn.inbound.choice, turn.inbound.text
        if flow.expires <= self._clock.now():
            await turn.set_flow(None)
            await self._audit_refusal(
                actor=flow.email, intent=flow.action, reason=flow.reason, why="the flow expired", outcome="expired"
            )
            await turn.send(Reply(kind=ReplyKind.INFO, text=messages.ACTION_EXPIRED))
            return
        if choice == CANCEL or (choice is None and _CANCEL_WORDS.match(text)):
            await turn.set_flow(None)
            await self._audit_refusal(
                actor=flow.email,
                intent=flow.action,
                reason=flow.reason,
                why="cancelled by the person",
                outcome="cancelled",
            )
            await turn.send(Reply(kind=ReplyKind.INFO, text=messages.ACTION_CANCELLED))
            return
        picked = None if choice is None else Prefix(ITEM).match(choice)  # the catalog id of an item button
        if flow.step == "code" and choice is None:
            await self._check_code(turn, flow=flow, code=text)
        elif flow.step == "confirm" and (choice == YES or (choice is None and _YES_WORDS.match(text))):
            await self._confirmed(turn, flow=flow)
        elif flow.step == "item" and (choice is None or picked is not None):
            await self._item_answer(turn, flow=flow, picked=picked)
        else:
            await turn.send(
                Reply(
                    kind=ReplyKind.INFO,
                    text=messages.ACTION_IN_PROGRESS.format(action=messages.ACTION_LABELS[flow.action]),
                    expects="choice",
                    choices=(Choice(id=CANCEL, label=messages.ACTION_CANCEL),),
                )
            )

    async def _item_answer(self, turn: FlowTurn, *, flow: ActionFlow, picked: str | None) -> None:
        """An item button (`picked`), or a message naming what the person wants."""
        account = await self._account(turn, intent=flow.action, email=flow.email, reason=flow.reason)
        if account is None:
            await turn.set_flow(None)
            return
        if picked is not None:
            item = self._catalog.get(picked)
            if item is None or item.kind != REQUESTS[flow.action]:
                await turn.send(Reply(kind=ReplyKind.INFO, text=messages.ACTION_UNKNOWN_BUTTON))
                return
            await self._confirm(turn, flow=replace(flow, item=item.id), account=account)
            return
        await self._choose_item(turn, flow=flow, account=account, text=turn.inbound.text)

    async def _confirmed(self, turn: FlowTurn, *, flow: ActionFlow) -> None:
        spec = self._policy.spec(flow.action)
        account = await self._account(turn, intent=flow.action, email=flow.email, reason=flow.reason)
        if spec is None or account is None or account.id != flow.account:
            await turn.set_flow(None)
            return
        if spec.assurance >= 2 and not flow.verified:
            await self._challenge(turn, flow=flow, account=account)
            return
        await self._verified(turn, flow=flow, spec=spec, account=account)

    async def _challenge(self, turn: FlowTurn, *, flow: ActionFlow, account: DirectoryAccount) -> None:
        method = await self._factor.method_for(email=flow.email, alternate_email=account.alternate_email)
        if method is None:
            await turn.set_flow(None)
            return await self._refuse(
                turn, intent=flow.action, actor=flow.email, reason=flow.reason, why=messages.WHY_NO_SECOND_FACTOR
            )
        try:
            await self._factor.challenge(method=method, email=flow.email, alternate_email=account.alternate_email)
        except EmailDeliveryError:
            await turn.set_flow(None)
            return await self._refuse(
                turn, intent=flow.action, actor=flow.email, reason=flow.reason, why=messages.WHY_EMAIL_FAILED
            )
        address = _masked(account.alternate_email or "")
        await turn.set_flow(replace(flow, step="code", method=method.value, address=address, expires=self._expiry()))
        prompt = (
            messages.CODE_PROMPT_TOTP if method is Method.TOTP else messages.CODE_PROMPT_EMAIL.format(address=address)
        )
        await turn.send(
            Reply(
                kind=ReplyKind.ACTION,
                intent=flow.action,
                text=prompt,
                expects="code",
                choices=(Choice(id=CANCEL, label=messages.ACTION_CANCEL),),
            )
        )

    async def _check_code(self, turn: FlowTurn, *, flow: ActionFlow, code: str) -> None:
        if flow.method is None:  # ActionFlow refuses a code step without one when it is loaded
            raise ValueError("a one-time code arrived for a flow that asked for no second factor")
        method = Method(flow.method)
        result = await self._factor.check(method=method, email=flow.email, code=code, wrong_so_far=flow.wrong)
        if result is not CodeResult.MALFORMED:
            await self._audit.record(
                AuditEntry(
                    actor=flow.email,
                    account=flow.account,
                    action=f"verify_{method.value}",
                    outcome=result.value,
                    reason=f"second factor for {flow.action}",
                )
            )
        if result is CodeResult.ACCEPTED:
            await self._confirmed(turn, flow=replace(flow, verified=True))
        elif result is CodeResult.MALFORMED:
            await turn.send(
                Reply(
                    kind=ReplyKind.INFO,
                    text=messages.CODE_MALFORMED,
                    expects="code",
                    choices=(Choice(id=CANCEL, label=messages.ACTION_CANCEL),),
                )
            )
        elif result is CodeResult.WRONG:
            wrong = flow.wrong + 1
            await turn.set_flow(replace(flow, wrong=wrong))
            left = self._policy.code_attempts - wrong
            await turn.send(
                Reply(
                    kind=ReplyKind.INFO,
                    text=messages.CODE_WRONG.format(left=left),
                    expects="code",
                    choices=(Choice(id=CANCEL, label=messages.ACTION_CANCEL),),
                )
            )
        elif result is CodeResult.EXPIRED:
            await self._resend(turn, flow=flow)
        else:
            await self._lock_out(turn, flow=flow)

    async def _resend(self, turn: FlowTurn, *, flow: ActionFlow) -> None:
        account = await self._account(turn, intent=flow.action, email=flow.email, reason=flow.reason)
        if account is None:
            await turn.set_flow(None)
            return
        await self._challenge(turn, flow=flow, account=account)

    async def _lock_out(self, turn: FlowTurn, *, flow: ActionFlow) -> None:
        await turn.set_flow(None)
        until = await self._guards.lock_out(flow.email, reason=f"wrong codes during {flow.action}")
        await self._audit.record(
            AuditEntry(
                actor=flow.email,
                account=flow.account,
                action="self_service_lockout",
                outcome="locked_out",
                reason=f"{self._policy.code_attempts} wrong codes during {flow.action}",
                details={"until": until.isoformat()},
            )
        )
        log.warning("self_service_locked_out", action=flow.action)
        await turn.hand_off(
            reason=f"self-service locked for {flow.email} until {_clock(until)} UTC after "
            f"{self._policy.code_attempts} wrong codes during {flow.action}: someone may be trying to "
            "take over the account; please contact the person by a trusted route",
            intent=flow.action,
            confidence=None,
            template=messages.CODE_LOCKED.replace("{until}", _clock(until)),
        )

    async def _verified(self, turn: FlowTurn, *, flow: ActionFlow, spec: ActionSpec, account: DirectoryAccount) -> None:
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
            await self._paused(turn, actor=flow.email, intent=flow.action, reason=flow.reason)
            return
        if not locked:
            await turn.send(
                Reply(
                    kind=ReplyKind.INFO,
                    text=messages.ACTION_IN_PROGRESS.format(action=messages.ACTION_LABELS[flow.action]),
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

    # ---- refusing ------------------------------------------------------------------------------------------

    async def _refuse(self, turn: FlowTurn, *, intent: str, actor: str, reason: str, why: str) -> None:
        await self._audit_refusal(actor=actor, intent=intent, reason=reason, why=why)
        await turn.hand_off(
            reason=f"self-service {intent} not done: {why}",
            intent=intent,
            confidence=None,
            template=messages.ACTION_REFUSED.replace("{why}", why),
        )

    async def _paused(self, turn: FlowTurn, *, actor: str, intent: str, reason: str) -> None:
        """The shared state (locks, rate limits) is unavailable: refuse clearly, without acting or a ticket."""
        await self._audit_refusal(actor=actor, intent=intent, reason=reason, why="shared state unavailable")
        await turn.send(
            Reply(
                kind=ReplyKind.INFO,
                text=messages.SELF_SERVICE_PAUSED,
                choices=(Choice(id=TALK_TO_PERSON, label=messages.TALK_TO_PERSON),),
            )
        )

    async def _audit_refusal(self, *, actor: str, intent: str, reason: str, why: str, outcome: str = "refused") -> None:
        await self._audit.record(AuditEntry(actor=actor, action=intent, outcome=outcome, reason=f"{reason}: {why}"))

    def _expiry(self) -> datetime:
        return self._clock.now() + timedelta(minutes=self._policy.flow_minutes)


def _clock(at: datetime) -> str:
    return at.astimezone(UTC).strftime("%Y-%m-%d %H:%M")


def _masked(address: str) -> str:
    """j•••@example.org: enough for the person to recognise, not enough to harvest."""
    local, _, domain = address.partition("@")
    return f"{local[:1]}•••@{domain}" if domain else "•••"
