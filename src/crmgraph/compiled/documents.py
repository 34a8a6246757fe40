"""Documents parsed and validated once per process: the operation a request names and the
fragments. A document that does not parse or validate is not compiled (the resolvers answer
with their errors)."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from graphql import (
    DocumentNode,
    FragmentDefinitionNode,
    GraphQLError,
    GraphQLSchema,
    OperationDefinitionNode,
    parse,
    validate,
)


@dataclass(frozen=True)
class Document:
    node: DocumentNode
    operations: dict[str | None, OperationDefinitionNode]
    fragments: dict[str, FragmentDefinitionNode]

    def operation(self, name: str | None) -> OperationDefinitionNode | None:
        """The operation a request names; with no name, the document's only one."""
        if name is None:
            return next(iter(self.operations.values())) if len(self.operations) == 1 else None
        return self.operations.get(name)


class Documents:
    """The valid documents of one schema, by text."""

    def __init__(self, schema: GraphQLSchema, size: int = 512) -> None:
        self.schema = schema
        self.get = lru_cache(maxsize=size)(self._load)

    def _load(self, text: str) -> Document | None:
        try:
            node = parse(text)
        except GraphQLError:
            return None
        if validate(self.schema, node):
            return None
        operations: dict[str | None, OperationDefinitionNode] = {}
        fragments: dict[str, FragmentDefinitionNode] = {}
        for definition in node.definitions:
            if isinstance(definition, OperationDefinitionNode):
                operations[definition.name.value if definition.name else None] = definition
            elif isinstance(definition, FragmentDefinitionNode):
                fragments[definition.name.value] = definition
        return Document(node, operations, fragments)
