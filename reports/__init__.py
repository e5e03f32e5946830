"""lockbench reports: results files (JSON) in, figures, HTML and Markdown out."""
