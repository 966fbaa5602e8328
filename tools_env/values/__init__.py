"""Schema-driven value generation: seeded Faker providers picked by field name and format,
numbers within bounds, strings matching patterns, and the plan cache that makes repeated
generation cheap.
"""

from turnloom.tools_env.values._cycles import SchemaCycle, schema_cycles
from turnloom.tools_env.values._factory import ValueFactory, ValueGenerationError, generate_value

__all__ = ["SchemaCycle", "ValueFactory", "ValueGenerationError", "generate_value", "schema_cycles"]
