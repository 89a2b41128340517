"""Everything about a store on disk: the readers of corpus files (corpus), chunking and idempotent
upsert (ingest), the Chroma store, the only importer of chromadb (store), the keyword index
(keyword, acronyms), the writer lock (lock), the damage probe (probe), the store's files (layout),
and `Library`, which puts them together (library). Import the module you need: this package
imports nothing on its own, so `rag --help` stays light."""
