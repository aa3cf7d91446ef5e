"""The market's pure rules: order book, auctions, price bands, settlement netting, MSR, surveillance."""
