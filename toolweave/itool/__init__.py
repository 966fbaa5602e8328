"""toolweave.itool"""
