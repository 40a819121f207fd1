from rvi_documents.settings import DocumentsSettings
from rvi_shared.serve import serve

if __name__ == "__main__":
    serve("rvi_documents", "rvi_documents.app:create_app", DocumentsSettings())
