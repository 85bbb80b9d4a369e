// @ts-check
import eslint from "@eslint/js"
import tseslint from "typescript-eslint"

export default tseslint.config(
  { ignores: ["**/dist/**", "**/dist-test/**", "**/node_modules/**", "**/coverage/**"] },
  eslint.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      "@typescript-eslint/no-explicit-any": "off",
      "@typescript-eslint/no-unused-vars": [
        "error",
        { argsIgnorePattern: "^_", varsIgnorePattern: "^_" }
      ],
      "@typescript-eslint/consistent-type-imports": "error",
      "no-constant-condition": ["error", { checkLoops: false }],
      "require-yield": "off",
      // `declare namespace Resource { ... }` holds related types, as in Effect's own modules.
      "@typescript-eslint/no-namespace": ["error", { allowDeclarations: true }],
      // Pipeable's `pipe()` forwards `arguments`, as Effect's own data types do.
      "prefer-rest-params": "off"
    }
  }
)
