;;; artifact-lsp-eglot.el --- artifact-lsp through eglot  -*- lexical-binding: t; -*-

;; Copy this into your init file (or `load' it), after your packages are initialised.
;; artifact.yml and test_matrix.yaml get `artifact-yaml-mode' (yaml-mode with another name),
;; artifact.json `artifact-json-mode', and eglot starts `artifact-lsp serve' for those two
;; modes only: every other YAML file keeps plain yaml-mode (and whatever server you give it).
;; Tested in Emacs 28 with eglot 1.9 and yaml-mode 0.0.15 (tests/test_emacs.py); the built-in
;; eglot of Emacs 29+ takes the same configuration.

(require 'yaml-mode)

(define-derived-mode artifact-yaml-mode yaml-mode "Artifact-YAML"
  "`yaml-mode' for ESB's artifact.yml and test_matrix.yaml, served by artifact-lsp.")

(define-derived-mode artifact-json-mode js-mode "Artifact-JSON"
  "`js-mode' for the legacy artifact.json, served by artifact-lsp.")

(add-to-list 'auto-mode-alist '("/artifact\\.yml\\'" . artifact-yaml-mode))
(add-to-list 'auto-mode-alist '("/test_matrix\\.yaml\\'" . artifact-yaml-mode))
(add-to-list 'auto-mode-alist '("/artifact\\.json\\'" . artifact-json-mode))

(with-eval-after-load 'eglot
  (add-to-list 'eglot-server-programs
               '(((artifact-yaml-mode :language-id "yaml")
                  (artifact-json-mode :language-id "json"))
                 . ("artifact-lsp" "serve"))))

(add-hook 'artifact-yaml-mode-hook #'eglot-ensure)
(add-hook 'artifact-json-mode-hook #'eglot-ensure)

;;; artifact-lsp-eglot.el ends here
