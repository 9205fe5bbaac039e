"""The demo feature's public face: what other features may use."""

from crm.demo.service import DEMO_ACCOUNTS as DEMO_ACCOUNTS
from crm.demo.service import load_demo as load_demo
