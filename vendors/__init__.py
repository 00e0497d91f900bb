"""Vendor adapters: one module per vendor, each with an ``INFO`` and a ``create`` factory.

Modules import their SDKs only inside ``create`` (or the adapters it builds), so importing
this package, or the registry, never touches a vendor SDK, a model or the network.
"""

__all__: list[str] = []
