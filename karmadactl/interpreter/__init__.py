"""Per-kind knowledge: Karmada's native resource interpreter.

replicas.py (InterpretReplica, ReviseReplica) and native.py (InterpretStatus,
InterpretHealth, Retain, InterpretDependency, AggregateStatus and the binding
status helpers) are pure; the scheduler, binding, execution and status stages
ask them, and nothing else, about a kind.
"""
