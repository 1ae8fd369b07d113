"""The simulated AWS: moto's server behind a layer that answers as AWS does where moto does not.

protocol.py reads and answers AWS's wire protocols, paging.py pages, quotas.py holds AWS's rate
quotas, core.py is the layer, one module a service patches it, and server.py starts it all.
"""
