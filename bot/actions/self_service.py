"""The self-service actions: intent → confirm → verify → approval or execute → audit → tell (design §4, "Action").

Flow state lives in the conversation (persisted every step), so a restart mid-flow carries on, and every flow
expires after the policy's `flow_minutes`. Actions only ever touch the account looked up from the person's
authenticated chat identity; nothing in a message (or an article) can name the account acted on.

This module starts a flow (limits, the account, the item, the confirmation prompt) and routes what comes back;
the second factor is code_step.py's, and what happens after "yes" is carry_out.py's.
"""

from __future__ import annotations

import re
from dataclasses import replace

from bot import messages
from bot.actions.approval_workflow import APPROVE, DENY, ApprovalWorkflow
from bot.actions.buttons import ACTION, APPROVAL, CANCEL, ITEM, YES
from bot.actions.carry_out import CarryOut
from bot.actions.catalog import Catalog, CatalogItem, Kind
from bot.actions.code_step import CodeStep
from bot.actions.guards import Guards
from bot.actions.policy import ActionPolicy
from bot.actions.refusals import Refusals, in_words, utc_minute
from bot.actions.requester import Refusal, names_someone_else
from bot.actions.verification import SecondFactor
from bot.audit import AuditLog
from bot.core.choices import ChoiceRouter, Matcher, Prefix
from bot.core.clock import SystemClock
from bot.core.directory import DirectoryAccount
from bot.core.flows import ActionFlow
from bot.core.model import Choice, Reply, ReplyKind
from bot.core.ports import Clock, Directory, FlowTurn, SharedState, SharedStateUnavailable

REQUESTS: dict[str, Kind] = {"request_access": "access", "request_software": "software"}
# Typed instead of pressing a button, in English or German (the buttons' own words included).
_YES_WORDS = re.compile(
    r"^\s*(y|yes|yes,? please|yep|yeah|ok|okay|sure|go ahead|confirm|do it|please do"
    r"|ja|ja,? bitte|ja,? gerne?|jawohl|klar|mach das|machen sie das|los)\W*\s*$",
    re.IGNORECASE,
)
_CANCEL_WORDS = re.compile(
    r"^\s*(n|no|nope|cancel|stop|abort|never ?mind|quit|nein|abbrechen|stopp|doch nicht|lieber nicht)\W*\s*$",
    re.IGNORECASE,
)


class SelfServiceActions:
    """Implements the core's SelfService port: starts an action's flow and routes the person's answers."""

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
        self._approvals = approvals
        self._refusals = Refusals(directory=directory, policy=policy, audit=audit)
        self._code = CodeStep(
            second_factor=second_factor, guards=guards, policy=policy, audit=audit, refusals=self._refusals, clock=clock
        )
        self._carry_out = CarryOut(
            directory=directory,
            policy=policy,
            catalog=catalog,
            audit=audit,
            approvals=approvals,
            shared_state=shared_state,
            code_step=self._code,
            refusals=self._refusals,
        )
        self._buttons = ChoiceRouter[FlowTurn](fallback=self._unknown_button)
        self._buttons.on(Prefix(APPROVE), handler=self._approve)
        self._buttons.on(Prefix(DENY), handler=self._deny)
        self._buttons.on(Prefix(ACTION), handler=self._flow_button)

    @property
    def choices(self) -> tuple[Matcher, ...]:
        return Prefix(ACTION), Prefix(APPROVAL)

    # ---- starting ------------------------------------------------------------------------------------------

    def can_run(self, intent: str) -> bool:
        return self._directory is not None

    def answers_step(self, flow: ActionFlow, text: str) -> bool:
        if _CANCEL_WORDS.match(text):
            return True
        return flow.step == "confirm" and _YES_WORDS.match(text) is not None

    async def start(self, turn: FlowTurn, *, intent: str, confidence: float) -> None:
        email = (turn.inbound.user.email or "").strip().lower()
        actor = email or turn.inbound.user.id
        reason = f"intent {intent} (confidence {confidence:.2f})"
        spec = self._policy.spec(intent)
        if spec is None:
            return await self._refusals.refuse(
                turn, intent=intent, actor=actor, reason=reason, why=messages.WHY_DISABLED_BY_POLICY
            )
        if self._directory is None:
            return await self._refusals.refuse(
                turn, intent=intent, actor=actor, reason=reason, why=messages.WHY_NO_DIRECTORY
            )
        if not email:
            return await self._refusals.refuse(
                turn, intent=intent, actor=actor, reason=reason, why=messages.WHY_NO_ACCOUNT
            )
        if names_someone_else(turn.inbound.text, own_email=email):
            return await self._refusals.refuse(
                turn, intent=intent, actor=actor, reason=reason, why=messages.WHY_OTHER_PERSON
            )
        try:
            within = await self._within_limits(turn, intent=intent, email=email, reason=reason)
        except SharedStateUnavailable:
            await self._refusals.paused(turn, actor=email, intent=intent, reason=reason)
            return
        if not within:
            return
        account = await self._refusals.own_account(turn, intent=intent, email=email, reason=reason)
        if account is None:
            return
        flow = ActionFlow(
            action=intent,
            email=email,
            account=account.id,
            reason=reason,
            step="confirm",
            expires=self._policy.flow_expiry(self._clock.now()),
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
                f"self-service locked until {utc_minute(locked)} UTC after wrong codes",
                in_words(turn, messages.SELF_SERVICE_LOCKED, until=utc_minute(locked)),
            )
        elif await self._guards.over_rate_limit(email):
            why, template = "rate limit reached", turn.local(messages.RATE_LIMITED)
        elif cooling is not None:
            why, template = (
                f"done recently, cooldown until {utc_minute(cooling)} UTC",
                in_words(turn, messages.COOLDOWN, until=utc_minute(cooling)),
            )
        else:
            return True
        await self._refusals.record(actor=email, intent=intent, reason=reason, why=why)
        await turn.hand_off(reason=f"{intent} for {email}: {why}", intent=intent, confidence=None, template=template)
        return False

    async def _choose_item(self, turn: FlowTurn, *, flow: ActionFlow, account: DirectoryAccount, text: str) -> None:
        kind = REQUESTS[flow.action]
        mentioned = self._catalog.mentioned(text, kind=kind)
        if len(mentioned) == 1:
            await self._confirm(turn, flow=replace(flow, item=mentioned[0].id), account=account)
            return
        candidates = mentioned or self._catalog.of_kind(kind)
        if not candidates:
            await self._refusals.record(
                actor=flow.email, intent=flow.action, reason=flow.reason, why="nothing in the catalog"
            )
            await turn.set_flow(None)
            await turn.hand_off(
                reason=f"{flow.action}: no catalog item matches",
                intent=flow.action,
                confidence=None,
                template=in_words(turn, messages.ACTION_NO_CATALOG, what=turn.local(messages.ACTION_NO_CATALOG_WHAT)),
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
                text=turn.local(messages.ACTION_PICK_ITEM),
                choices=choices,
                expects="choice",
            )
        )

    async def _confirm(self, turn: FlowTurn, *, flow: ActionFlow, account: DirectoryAccount) -> None:
        action = flow.action
        template = turn.local(messages.ACTION_CONFIRM[action])
        fields = {"account": account.email, "name": account.display_name or account.email, "item": "", "approval": ""}
        item = self._catalog.get(flow.item) if flow.item else None
        if item is not None:
            approver = self._approver_of(item, account=account, action=action)
            if isinstance(approver, Refusal):
                await turn.set_flow(None)
                return await self._refusals.refuse(
                    turn, intent=action, actor=flow.email, reason=flow.reason, why=approver.why, item=approver.item
                )
            flow = replace(flow, approver=approver)
            fields.update(
                item=item.name,
                approval=(
                    turn.local(messages.ACTION_NEEDS_APPROVAL).format(approver=approver)
                    if approver
                    else turn.local(messages.ACTION_NO_APPROVAL)
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
            return Refusal(why=messages.WHY_PRIVILEGED_ITEM, item=item.name)
        rule = item.approval or spec.approval
        approver = {"none": "", "owner": item.owner or "", "manager": account.manager_email or ""}.get(rule)
        if rule == "staff" or approver is None:
            return Refusal(why=messages.WHY_STAFF_APPROVAL, item=item.name)
        if rule != "none" and not approver:
            return Refusal(why=messages.WHY_NO_APPROVER, item=item.name)
        if approver and approver.casefold() == account.email.casefold():
            return Refusal(why=messages.WHY_STAFF_APPROVAL, item=item.name)  # nobody approves themselves
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
        await turn.send(Reply(kind=ReplyKind.INFO, text=turn.local(messages.ACTION_UNKNOWN_BUTTON)))

    async def resume(self, turn: FlowTurn, flow: ActionFlow) -> None:
        choice, text = turn.inbound.choice, turn.inbound.text
        if flow.expires <= self._clock.now():
            await turn.set_flow(None)
            await self._refusals.record(
                actor=flow.email, intent=flow.action, reason=flow.reason, why="the flow expired", outcome="expired"
            )
            await turn.send(Reply(kind=ReplyKind.INFO, text=turn.local(messages.ACTION_EXPIRED)))
            return
        if choice == CANCEL or (choice is None and _CANCEL_WORDS.match(text)):
            await turn.set_flow(None)
            await self._refusals.record(
                actor=flow.email,
                intent=flow.action,
                reason=flow.reason,
                why="cancelled by the person",
                outcome="cancelled",
            )
            await turn.send(Reply(kind=ReplyKind.INFO, text=turn.local(messages.ACTION_CANCELLED)))
            return
        picked = None if choice is None else Prefix(ITEM).match(choice)  # the catalog id of an item button
        if flow.step == "code" and choice is None:
            verified = await self._code.check(turn, flow=flow, code=text)
            if verified is not None:
                await self._carry_out.proceed(turn, flow=verified)
        elif flow.step == "confirm" and (choice == YES or (choice is None and _YES_WORDS.match(text))):
            await self._carry_out.proceed(turn, flow=flow)
        elif flow.step == "item" and (choice is None or picked is not None):
            await self._item_answer(turn, flow=flow, picked=picked)
        else:
            await turn.send(
                Reply(
                    kind=ReplyKind.INFO,
                    text=turn.local(messages.ACTION_IN_PROGRESS).format(action=turn.action_label(flow.action)),
                    expects="choice",
                    choices=(Choice(id=CANCEL, label=messages.ACTION_CANCEL),),
                )
            )

    async def _item_answer(self, turn: FlowTurn, *, flow: ActionFlow, picked: str | None) -> None:
        """An item button (`picked`), or a message naming what the person wants."""
        account = await self._refusals.own_account(turn, intent=flow.action, email=flow.email, reason=flow.reason)
        if account is None:
            await turn.set_flow(None)
            return
        if picked is not None:
            item = self._catalog.get(picked)
            if item is None or item.kind != REQUESTS[flow.action]:
                await turn.send(Reply(kind=ReplyKind.INFO, text=turn.local(messages.ACTION_UNKNOWN_BUTTON)))
                return
            await self._confirm(turn, flow=replace(flow, item=item.id), account=account)
            return
        await self._choose_item(turn, flow=flow, account=account, text=turn.inbound.text)
