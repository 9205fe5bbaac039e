"""The customers feature's public face: what other features may use."""

from crm.customers.duplicates import DuplicateCandidate as DuplicateCandidate
from crm.customers.duplicates import duplicates_in_bulk as duplicates_in_bulk
from crm.customers.search_index import SearchText as SearchText
from crm.customers.search_index import reindex_customers as reindex_customers
from crm.customers.search_index import search_text as search_text
from crm.customers.service import CODE_COUNTER as CODE_COUNTER
from crm.customers.service import CODE_PREFIX as CODE_PREFIX
from crm.customers.service import CustomerFilter as CustomerFilter
from crm.customers.service import customer_query as customer_query
from crm.customers.service import get_customer as get_customer
from crm.customers.service import update_customer as update_customer
