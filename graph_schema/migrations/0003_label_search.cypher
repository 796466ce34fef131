// Full-text search over occupation and competency labels (Dutch and English), and a vector
// index over the label embeddings. 384 dimensions = all-MiniLM-L6-v2, the default model;
// a model with another width needs a migration that replaces this index.
CREATE FULLTEXT INDEX label_text IF NOT EXISTS FOR (n:Label) ON EACH [n.text];
CREATE VECTOR INDEX label_embedding IF NOT EXISTS FOR (n:Label) ON (n.embedding)
  OPTIONS {indexConfig: {`vector.dimensions`: 384, `vector.similarity_function`: 'cosine'}};
