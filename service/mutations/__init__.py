"""The mutations, one declaration each (service/commands.py's `mutation`), by feature.

Importing this package registers them all, in this order (the schema's); adding a
mutation is a declaration in one of these modules, and its rule in domain/.
"""

from service.mutations import partnerships, inspections, plans, actions, judgements, metrics, meetings, webhooks  # noqa: F401, I001
