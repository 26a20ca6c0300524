"""The only writers of webhook rows: endpoints and their secrets (one module per verb), the dispatcher that turns
committed events into deliveries (dispatch.py) and the attempts that send them (deliver.py)."""
