"""Sales Scorecards: CRM extracts -> DuckDB -> SQL scorecards -> a static MkDocs site.

The stages run in one direction: extract -> load -> models -> pages -> site.
Each stage is a module with one entry function; `pipelines.cli` chains them.
"""

__version__ = "0.1.0"
