# A worker policy in Python: the documented transition rules, and greedy least-loaded placement
# (the same algorithm as tests/policies/least-loaded), built with componentize-py.
from typing import List, Optional
from componentize_py_types import Err
from wit_world import exports
from wit_world.imports.types import (
    PolicyInfo, Snapshot, WorkerState as S, Verdict, Transition, Step, StepOp, Roles, Scope,
    PolicyError_InsufficientNodes, PolicyError_UnknownNode, PolicyError_InvalidSnapshot,
    InsufficientNodes,
)

def eligible(n):
    return (Roles.WORKER in n.roles) and n.worker_state == S.ACTIVE and n.alive

def domain(n, scope):
    if scope == Scope.REGION:
        return n.location.split(".")[0]
    if scope == Scope.ZONE:
        return n.location
    return n.id

def required(snap, scope):
    for c in snap.replication:
        if c.scope == scope:
            return c.count
    return 0

def factor(snap):
    return max([c.count for c in snap.replication if c.scope == Scope.NODE] or [max(c.count for c in snap.replication)])

def shortfall(snap, nodes):
    for scope in (Scope.REGION, Scope.ZONE, Scope.NODE):
        need = factor(snap) if scope == Scope.NODE else required(snap, scope)
        have = len({domain(n, scope) for n in nodes})
        if have < need:
            return InsufficientNodes(scope, have, need)
    return None

def usage(snap, node):
    holds = sum(1 for p in snap.partitions if node in p.replicas or (p.next and node in p.next))
    leads = sum(1 for p in snap.partitions if p.leader == node)
    return holds, leads

class Policy(exports.Policy):
    def info(self) -> PolicyInfo:
        return PolicyInfo("python-least-loaded", "0.1.0", "Least-loaded placement, written in Python with componentize-py.")

    def validate_transition(self, snap: Snapshot, node: int, to: S) -> Verdict:
        target = next((n for n in snap.nodes if n.id == node), None)
        if target is None:
            raise Err(PolicyError_UnknownNode(node))
        frm = target.worker_state
        if frm == to:
            return Verdict(True, "nothing changes")
        if to == S.PROVISIONING or (frm == S.DISABLED and to == S.DRAINING):
            return Verdict(False, f"{frm.name} -> {to.name} is not allowed")
        holds, leads = usage(snap, node)
        if to == S.DISABLED and (holds or leads):
            return Verdict(False, f"N{node} still holds {holds} partition(s) and leads {leads}")
        if to != S.ACTIVE and eligible(target):
            rest = [n for n in snap.nodes if n.id != node and eligible(n)]
            s = shortfall(snap, rest)
            if s:
                return Verdict(False, f"Safety-check failed: {s.available} {s.scope.name} left, {s.required} required")
        return Verdict(True, "allowed")

    def reconcile(self, snap: Snapshot) -> List[Transition]:
        out = []
        for n in sorted(snap.nodes, key=lambda n: n.id):
            if Roles.WORKER not in n.roles:
                continue
            if n.worker_state == S.PROVISIONING and n.alive:
                out.append(Transition(n.id, n.worker_state, S.ACTIVE, "up: active"))
            elif n.worker_state == S.DRAINING and usage(snap, n.id) == (0, 0):
                out.append(Transition(n.id, n.worker_state, S.DISABLED, "drained: disabled"))
        return out

    def place(self, snap: Snapshot) -> List[Step]:
        return plan(snap, True, None)

    def rebalance(self, snap: Snapshot, max_moves: Optional[int]) -> List[Step]:
        return plan(snap, False, max_moves)

def plan(snap, placing, max_moves):
    parts = sorted(snap.partitions, key=lambda p: p.id)
    unplaced = lambda p: not p.replicas and not p.next
    work = [p for p in parts if unplaced(p) == placing]
    if not work:
        return []
    elig = {n.id: n for n in sorted(snap.nodes, key=lambda n: n.id) if eligible(n)}
    s = shortfall(snap, list(elig.values()))
    if s:
        raise Err(PolicyError_InsufficientNodes(s))
    f = factor(snap)
    def fits(chosen, n):
        left = f - len(chosen) - 1
        for scope in (Scope.REGION, Scope.ZONE):
            if len({domain(elig[x], scope) for x in chosen + [n]}) + left < required(snap, scope):
                return False
        return True
    def keep(p):
        kept = []
        for n in sorted(p.replicas):
            if len(kept) < f and n in elig and fits(kept, n):
                kept.append(n)
        return kept
    load = {n: 0 for n in elig}
    leads = {n: 0 for n in elig}
    kept = {p.id: keep(p) for p in parts}
    for p in parts:
        for n in kept[p.id]:
            load[n] += 1
        if p.leader in kept[p.id]:
            leads[p.leader] += 1
    budget = max_moves
    steps = []
    for p in work:
        chosen = list(kept[p.id])
        base = len(chosen)
        while len(chosen) < f:
            cands = [n for n in elig if n not in chosen and fits(chosen, n)]
            if not cands:
                raise Err(PolicyError_InvalidSnapshot(f"cannot complete partition {p.id}"))
            n = min(cands, key=lambda n: (load[n], n))
            chosen.append(n)
            load[n] += 1
        adds = chosen[base:]
        if budget is not None:
            if len(adds) > budget:
                # Add what the budget allows now; a later round finishes the partition.
                for n in adds[budget:]:
                    load[n] -= 1
                for n in adds[:budget]:
                    steps.append(Step(StepOp.ADD_REPLICA, p.id, n, "least-loaded eligible node"))
                budget = 0
                continue
            budget -= len(adds)
        for n in adds:
            steps.append(Step(StepOp.ADD_REPLICA, p.id, n, "least-loaded eligible node"))
        if p.leader not in chosen[:base]:
            l = min(chosen, key=lambda n: (leads[n], n))
            leads[l] += 1
            steps.append(Step(StepOp.SET_LEADER, p.id, l, "least-leading replica"))
        holders = sorted(set(p.replicas) | set(p.next or []))
        for n in holders:
            if n not in chosen:
                steps.append(Step(StepOp.REMOVE_REPLICA, p.id, n, "replaced"))
    return steps
